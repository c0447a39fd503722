//! Writes N realistic promo event records as NDJSON to standard output, the same ones
//! for the same seed: input for `promo-liquid batch` and its benchmarks.
//!
//! ```sh
//! cargo run --release --example gen_records -- 1000000 > records.ndjson
//! cargo run --release --example gen_records -- 1000 --seed 7 --events "CT Points Credited,CT Points Debited" --orders 2
//! ```
//!
//! The records mix the six events (coupons 45%, wallet points 45%, partner vouchers
//! 10%), spell property names canonically, in camelCase or in snake_case, use every
//! date format the input accepts, and carry a profile with a name, email, phone, city,
//! tier, language, wallet balance and about ten recent orders (about 1.5 KB a line).
//! A few percent of records leave out optional properties or the profile's name, and
//! about one wallet event in a hundred moves zero points.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use promo_liquid::promo::schema::EventKind;

mod records;

use records::{Generator, Shape};

const USAGE: &str = "usage: gen_records [COUNT] [--seed N] [--events NAME,NAME...] [--orders N]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_records: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> io::Result<()> {
    let mut count = 1000u64;
    let mut seed = 42u64;
    let mut shape = Shape::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| invalid(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--seed" => seed = number(&value("--seed")?)?,
            "--orders" => shape.orders = number(&value("--orders")?)?,
            "--events" => {
                for name in value("--events")?.split(',') {
                    let event = EventKind::from_name(name.trim())
                        .ok_or_else(|| invalid(format!("unknown event {name:?}")))?;
                    shape.events.push(event);
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => count = number(&arg)?,
        }
    }
    let mut generator = Generator::new(seed, shape);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    for _ in 0..count {
        out.write_all(generator.line().as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn number(text: &str) -> io::Result<u64> {
    text.parse()
        .map_err(|_| invalid(format!("{text:?} is not a whole number")))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}
