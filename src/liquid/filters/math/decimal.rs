//! Exact decimal arithmetic, standing in for Ruby's `BigDecimal`.

use super::Op;
use crate::liquid::filters::FilterError;

/// An exact decimal, `mant × 10^exp`: what Shopify's `BigDecimal` holds for the numbers a
/// template can produce. Operations that would not fit return `None`, and the caller
/// falls back to float arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Decimal {
    pub(super) mant: i128,
    pub(super) exp: i32,
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

impl Decimal {
    /// The decimal a float prints as (Ruby's `BigDecimal(float.to_s)`).
    pub(super) fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        let text = format!("{f:e}");
        let (mantissa, exp) = text.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let (negative, mantissa) = match mantissa.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mantissa),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut mant: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            mant = mant
                .checked_mul(10)?
                .checked_add(i128::from(b.checked_sub(b'0')?))?;
        }
        let exp = exp.checked_sub(i32::try_from(frac.len()).ok()?)?;
        Some(Decimal {
            mant: if negative { -mant } else { mant },
            exp,
        })
    }

    pub(super) fn to_f64(self) -> f64 {
        format!("{}e{}", self.mant, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }

    pub(super) fn to_i64(self) -> Result<i64, FilterError> {
        if self.mant == 0 {
            return Ok(0);
        }
        let value = if self.exp >= 0 {
            u32::try_from(self.exp)
                .ok()
                .and_then(pow10)
                .and_then(|p| self.mant.checked_mul(p))
        } else {
            Some(
                u32::try_from(-i64::from(self.exp))
                    .ok()
                    .and_then(pow10)
                    .map_or(0, |p| self.mant / p),
            )
        };
        value
            .and_then(|v| i64::try_from(v).ok())
            .ok_or(FilterError::Overflow)
    }

    /// Both numbers over a common exponent.
    fn align(self, other: Decimal) -> Option<(i128, i128, i32)> {
        let exp = self.exp.min(other.exp);
        let scale = |d: Decimal| -> Option<i128> {
            let shift = u32::try_from(i64::from(d.exp) - i64::from(exp)).ok()?;
            if d.mant == 0 {
                return Some(0);
            }
            d.mant.checked_mul(pow10(shift)?)
        };
        Some((scale(self)?, scale(other)?, exp))
    }

    pub(super) fn apply(self, op: Op, other: Decimal) -> Option<Decimal> {
        match op {
            Op::Add | Op::Sub => {
                let (a, b, exp) = self.align(other)?;
                let mant = if op == Op::Add {
                    a.checked_add(b)?
                } else {
                    a.checked_sub(b)?
                };
                Some(Decimal { mant, exp })
            }
            Op::Mul => Some(Decimal {
                mant: self.mant.checked_mul(other.mant)?,
                exp: self.exp.checked_add(other.exp)?,
            }),
            Op::Div => {
                if other.mant == 0 {
                    return None;
                }
                if self.mant == 0 {
                    return Some(Decimal { mant: 0, exp: 0 });
                }
                // Widen the dividend to ~37 digits so the quotient keeps 20 or more
                // significant digits: plenty for the float it becomes.
                let digits = self.mant.unsigned_abs().ilog10();
                let shift = 37u32.saturating_sub(digits);
                let wide = self.mant.checked_mul(pow10(shift)?)?;
                let shift = i32::try_from(shift).ok()?;
                Some(Decimal {
                    mant: wide.checked_div(other.mant)?,
                    exp: self.exp.checked_sub(shift)?.checked_sub(other.exp)?,
                })
            }
            Op::Rem => {
                let (a, b, exp) = self.align(other)?;
                if b == 0 {
                    return None;
                }
                let r = a.checked_rem(b)?;
                let mant = if r != 0 && ((r < 0) != (b < 0)) {
                    r + b
                } else {
                    r
                };
                Some(Decimal { mant, exp })
            }
        }
    }

    /// The decimal written out: sign, digits and point, with exactly `places` digits
    /// after the point when given (the value rounded half away from zero to them
    /// first), else as many as it has. `None` past `i128` (a float of 1e39 or more
    /// written to its last digit).
    pub(super) fn to_plain(self, places: Option<u32>) -> Option<String> {
        let d = match places {
            Some(p) => {
                let places = i32::try_from(p).ok()?;
                let d = self.round_to(places);
                // Pad to exactly `places` digits after the point.
                let pad = u32::try_from(i64::from(d.exp) + i64::from(places)).unwrap_or(0);
                Decimal {
                    mant: d.mant.checked_mul(pow10(pad)?)?,
                    exp: d.exp - i32::try_from(pad).ok()?,
                }
            }
            None => self,
        };
        let digits = d.mant.unsigned_abs().to_string();
        let sign = if d.mant < 0 { "-" } else { "" };
        if d.exp >= 0 {
            let zeros = "0".repeat(usize::try_from(d.exp).ok()?);
            let int = if d.mant == 0 {
                "0".to_owned()
            } else {
                digits + &zeros
            };
            return Some(format!("{sign}{int}"));
        }
        let frac_len = usize::try_from(-i64::from(d.exp)).ok()?;
        let padded = format!("{digits:0>width$}", width = frac_len + 1);
        let (int, frac) = padded.split_at(padded.len() - frac_len);
        Some(format!("{sign}{int}.{frac}"))
    }

    /// Rounds half away from zero to `digits` places after the point.
    pub(super) fn round_to(self, digits: i32) -> Decimal {
        let cut = -i64::from(self.exp) - i64::from(digits);
        if cut <= 0 {
            return self;
        }
        let exp = -digits;
        let Some(m) = u32::try_from(cut).ok().and_then(pow10) else {
            return Decimal { mant: 0, exp };
        };
        let mut q = self.mant / m;
        let r = self.mant % m;
        if r.unsigned_abs() >= m.unsigned_abs().div_ceil(2) {
            q += self.mant.signum();
        }
        Decimal { mant: q, exp }
    }
}
