//! Channel checks: whether a rendered message fits where it is sent.
//!
//! - **Push**: the payloads Apple (APNs) and Google (FCM) are sent, and their size in
//!   bytes, which must be at most [`PUSH_PAYLOAD_LIMIT`] (4096): an error past that.
//!   Titles and bodies longer than the platforms show without truncation are warnings
//!   (iOS title 50 / body 150, Android title 65 / body 240 characters).
//! - **SMS**: the encoding (GSM-7 when every character is in the GSM 03.38 basic or
//!   extension table, otherwise UCS-2), the characters that forced UCS-2, the length in
//!   septets (GSM-7; extension characters `^ { } \ [ ] ~ |` `€` and form feed count
//!   two) or UTF-16 code units (UCS-2; characters outside the Basic Multilingual Plane
//!   count two), and the number of segments (one segment holds 160 septets or 70 code
//!   units; a longer text is split into segments of 153 septets or 67 code units, never
//!   splitting an escape pair or a surrogate pair). More than one segment, or UCS-2, is a
//!   warning: each segment is billed as a message.
//!
//! The payloads, byte for byte (compact JSON, UTF-8, `deep_link` present only when the
//! message has a non-empty one):
//!
//! ```text
//! APNs: {"aps":{"alert":{"title":TITLE,"body":BODY}},"deep_link":LINK}
//! FCM:  {"message":{"notification":{"title":TITLE,"body":BODY},"data":{"deep_link":LINK}}}
//! ```
//!
//! The FCM payload is the HTTP v1 `message` object without its target (`token` or
//! `topic`), which the sender adds; counting the envelope keeps the check on the safe
//! side of FCM's 4096-byte limit.
//!
//! ```
//! use promo_liquid::message::channel::{sms, Encoding};
//!
//! let check = sms("Your code is SAVE20 🎁");
//! assert_eq!(check.encoding, Encoding::Ucs2);
//! assert_eq!(check.forced_by, vec!['🎁']);
//! assert_eq!((check.characters, check.units, check.segments), (21, 22, 1));
//! ```

use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;

use super::Channel;
use super::outcome::{Details, Failure, FailureKind};

/// The largest APNs or FCM payload, in bytes.
pub const PUSH_PAYLOAD_LIMIT: usize = 4096;

/// The most SMS segments a message may take unless [`Rules::max_sms_segments`] says
/// otherwise: ten, the most Twilio sends (1600 characters of GSM-7).
pub const DEFAULT_MAX_SMS_SEGMENTS: usize = 10;

/// The hard rules every rendered message is held to before it may be sent
/// ([`Message::render`](super::Message::render) applies them). Breaking one fails the
/// record with its own kind and the numbers:
///
/// - a field the channel requires that rendered empty (or only white space):
///   `empty_field`;
/// - a push whose APNs or FCM payload is over [`Rules::max_push_payload`] bytes:
///   `payload_too_large`;
/// - an SMS of more than [`Rules::max_sms_segments`] segments: `too_many_segments`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// The largest push payload, in bytes. Default [`PUSH_PAYLOAD_LIMIT`] (4096).
    pub max_push_payload: usize,
    /// The most segments an SMS may take. Default [`DEFAULT_MAX_SMS_SEGMENTS`] (10).
    pub max_sms_segments: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            max_push_payload: PUSH_PAYLOAD_LIMIT,
            max_sms_segments: DEFAULT_MAX_SMS_SEGMENTS,
        }
    }
}

/// A broken rule: the failure, and the field it is about (for its place).
pub(crate) struct Broken {
    pub failure: Box<Failure>,
    pub field: Option<&'static str>,
}

/// Applies `rules` to the rendered `fields` of a message for `channel`: the SMS check
/// of an SMS that keeps them, or the first rule broken.
pub(crate) fn enforce(
    channel: Channel,
    rules: &Rules,
    fields: &IndexMap<&'static str, String>,
) -> Result<Option<SmsCheck>, Broken> {
    for spec in channel.fields().iter().filter(|s| s.required) {
        let text = fields.get(spec.name).map_or("", String::as_str);
        if text.trim().is_empty() {
            let mut failure = Failure::new(
                FailureKind::EmptyField,
                format!(
                    "the {} rendered empty, and {} messages cannot be sent without one",
                    spec.name, channel
                ),
            );
            failure.help = Some(format!(
                "give what the {} outputs a `default`, or `abort` the records that have nothing to say",
                spec.name
            ));
            return Err(Broken {
                failure: Box::new(failure),
                field: Some(spec.name),
            });
        }
    }
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    match channel {
        Channel::Push => {
            let deep_link = Some(field("deep_link")).filter(|l| !l.is_empty());
            let (apns, fcm) = push_sizes(field("title"), field("body"), deep_link);
            let limit = rules.max_push_payload;
            if apns > limit || fcm > limit {
                let failure = Failure {
                    details: Some(Details::Payload {
                        apns_bytes: apns,
                        fcm_bytes: fcm,
                        limit,
                    }),
                    help: Some("shorten the body (or the title): every byte of the payload counts, multi-byte characters as their UTF-8 bytes".into()),
                    ..Failure::new(
                        FailureKind::PayloadTooLarge,
                        format!("the push payload is {apns} bytes for APNs and {fcm} bytes for FCM; each takes at most {limit}"),
                    )
                };
                return Err(Broken {
                    failure: Box::new(failure),
                    field: None,
                });
            }
            Ok(None)
        }
        Channel::Sms => {
            let check = sms(field("body"));
            let most = rules.max_sms_segments;
            if check.segments > most {
                let failure = Failure {
                    help: Some(if check.encoding == Encoding::Ucs2 {
                        format!(
                            "{}; or shorten the text",
                            SmsCheck::ucs2_reason(&check.forced_by)
                        )
                    } else {
                        "shorten the text, or allow more segments".to_owned()
                    }),
                    ..Failure::new(
                        FailureKind::TooManySegments,
                        format!(
                            "the SMS takes {} segments ({} {} of {}); at most {most} are allowed",
                            check.segments,
                            check.units,
                            check.encoding.unit(),
                            check.encoding
                        ),
                    )
                };
                let failure = Failure {
                    details: Some(Details::Segments {
                        max_segments: most,
                        sms: check,
                    }),
                    ..failure
                };
                return Err(Broken {
                    failure: Box::new(failure),
                    field: Some("body"),
                });
            }
            Ok(Some(check))
        }
        Channel::Email | Channel::InApp | Channel::Webhook => Ok(None),
    }
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information: what a check found, with nothing wrong (the snippets a name
    /// from data can pick).
    Note,
    /// Worth knowing; nothing is wrong.
    Warning,
    /// The message cannot be sent as it is.
    Error,
}

impl Severity {
    /// `error`, `warning` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of a channel check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// A stable name: `payload_too_large`, `push_too_long`, `sms_ucs2`,
    /// `sms_segments`.
    pub code: &'static str,
    /// The field it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// What was found, in one line.
    pub message: String,
}

/// The checks of one rendered message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChannelReport {
    /// The push payloads and lengths, for a push message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<PushCheck>,
    /// The SMS encoding and segments, for an SMS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsCheck>,
    /// Errors and warnings, push first.
    pub findings: Vec<Finding>,
}

impl ChannelReport {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Checks the rendered `fields` of a message for `channel`. Channels without limits of
/// their own (email, in-app, webhook) get an empty report.
pub fn check(channel: Channel, fields: &IndexMap<&'static str, String>) -> ChannelReport {
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    let mut report = ChannelReport::default();
    match channel {
        Channel::Push => {
            let deep_link = Some(field("deep_link")).filter(|l| !l.is_empty());
            let push = push(field("title"), field("body"), deep_link);
            report.findings = push.findings();
            report.push = Some(push);
        }
        Channel::Sms => {
            let sms = sms(field("body"));
            report.findings = sms.findings();
            report.sms = Some(sms);
        }
        Channel::Email | Channel::InApp | Channel::Webhook => {}
    }
    report
}

/// A push message's payloads and lengths.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PushCheck {
    /// The APNs payload (compact JSON).
    pub apns: String,
    /// The FCM payload (compact JSON).
    pub fcm: String,
    /// The title's length in characters (Unicode scalar values).
    pub title_chars: usize,
    /// The body's length in characters.
    pub body_chars: usize,
}

/// Recommended lengths in characters: (platform, field, most).
const PUSH_LENGTHS: [(&str, &str, usize); 4] = [
    ("iOS", "title", 50),
    ("iOS", "body", 150),
    ("Android", "title", 65),
    ("Android", "body", 240),
];

/// The sizes in bytes of the APNs and FCM payloads of a push, as [`push`] builds them,
/// without building them.
pub fn push_sizes(title: &str, body: &str, deep_link: Option<&str>) -> (usize, usize) {
    let (title, body) = (json_len(title), json_len(body));
    let link = deep_link.map(json_len);
    // {"aps":{"alert":{"title":T,"body":B}}} and ,"deep_link":L before the last brace.
    let apns = r#"{"aps":{"alert":{"title":,"body":}}}"#.len()
        + title
        + body
        + link.map_or(0, |l| r#","deep_link":"#.len() + l);
    // {"message":{"notification":{"title":T,"body":B}}} and ,"data":{"deep_link":L}.
    let fcm = r#"{"message":{"notification":{"title":,"body":}}}"#.len()
        + title
        + body
        + link.map_or(0, |l| r#","data":{"deep_link":}"#.len() + l);
    (apns, fcm)
}

/// The length in bytes of `text` as a compact JSON string, quotes included (as
/// serde_json escapes it: `"`, `\\` and control characters).
fn json_len(text: &str) -> usize {
    2 + text
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Builds the APNs and FCM payloads of a push with this title, body and deep link.
pub fn push(title: &str, body: &str, deep_link: Option<&str>) -> PushCheck {
    let alert = serde_json::json!({ "title": title, "body": body });
    let mut apns = serde_json::json!({ "aps": { "alert": alert } });
    let mut message = serde_json::json!({ "notification": alert });
    if let Some(link) = deep_link {
        apns["deep_link"] = link.into();
        message["data"] = serde_json::json!({ "deep_link": link });
    }
    let fcm = serde_json::json!({ "message": message });
    PushCheck {
        apns: apns.to_string(),
        fcm: fcm.to_string(),
        title_chars: title.chars().count(),
        body_chars: body.chars().count(),
    }
}

impl PushCheck {
    /// The payload too large for its service (an error each), then the lengths past the
    /// platforms' recommendations (a warning each).
    pub fn findings(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (service, payload) in [("APNs", &self.apns), ("FCM", &self.fcm)] {
            if payload.len() > PUSH_PAYLOAD_LIMIT {
                findings.push(Finding {
                    severity: Severity::Error,
                    code: "payload_too_large",
                    field: None,
                    message: format!(
                        "the {service} payload is {} bytes; {service} takes at most {PUSH_PAYLOAD_LIMIT}",
                        payload.len()
                    ),
                });
            }
        }
        for (platform, field, most) in PUSH_LENGTHS {
            let (name, chars) = match field {
                "title" => ("title", self.title_chars),
                _ => ("body", self.body_chars),
            };
            if chars > most {
                findings.push(Finding {
                    severity: Severity::Warning,
                    code: "push_too_long",
                    field: Some(name),
                    message: format!(
                        "the {name} is {chars} characters; {platform} shows about {most} before cutting it off"
                    ),
                });
            }
        }
        findings
    }
}

/// An SMS encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum Encoding {
    /// The GSM 03.38 7-bit alphabet.
    #[serde(rename = "GSM-7")]
    Gsm7,
    /// UCS-2 (UTF-16 code units, two bytes each).
    #[serde(rename = "UCS-2")]
    Ucs2,
}

impl Encoding {
    /// `GSM-7` or `UCS-2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }

    /// The units one segment holds when the text fits in one: 160 or 70.
    pub fn single(self) -> usize {
        match self {
            Encoding::Gsm7 => 160,
            Encoding::Ucs2 => 70,
        }
    }

    /// The units each segment holds when the text needs several: 153 or 67.
    pub fn multi(self) -> usize {
        match self {
            Encoding::Gsm7 => 153,
            Encoding::Ucs2 => 67,
        }
    }

    /// What its units are called.
    pub fn unit(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "septets",
            Encoding::Ucs2 => "code units",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An SMS body's encoding, length and segments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SmsCheck {
    /// GSM-7 or UCS-2.
    pub encoding: Encoding,
    /// The length in characters (Unicode scalar values).
    pub characters: usize,
    /// The length in the encoding's units: septets or UTF-16 code units.
    pub units: usize,
    /// How many segments it is sent (and billed) as; 0 for an empty text.
    pub segments: usize,
    /// The characters outside GSM-7 that forced UCS-2, each once, in order.
    pub forced_by: Vec<char>,
}

/// The GSM 03.38 basic table, less the escape to the extension table.
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The GSM 03.38 extension table: each is an escape and a septet, so two septets.
const GSM_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// The septets `c` takes in GSM-7, or `None` when GSM-7 cannot encode it.
pub fn gsm_septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Checks an SMS body.
pub fn sms(text: &str) -> SmsCheck {
    let mut forced_by: Vec<char> = Vec::new();
    for c in text.chars() {
        if gsm_septets(c).is_none() && !forced_by.contains(&c) {
            forced_by.push(c);
        }
    }
    let encoding = if forced_by.is_empty() {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    };
    let width = |c: char| match encoding {
        Encoding::Gsm7 => gsm_septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    };
    let units: usize = text.chars().map(width).sum();
    let segments = if units == 0 {
        0
    } else if units <= encoding.single() {
        1
    } else {
        // Fill segments greedily; a character never straddles two.
        let mut segments = 1;
        let mut used = 0;
        for w in text.chars().map(width) {
            if used + w > encoding.multi() {
                segments += 1;
                used = 0;
            }
            used += w;
        }
        segments
    };
    SmsCheck {
        encoding,
        characters: text.chars().count(),
        units,
        segments,
        forced_by,
    }
}

impl SmsCheck {
    /// Why an SMS is UCS-2: `'🎉' (U+1F389) is not in GSM-7`.
    fn ucs2_reason(forced_by: &[char]) -> String {
        let names: Vec<String> = forced_by.iter().map(|c| describe(*c)).collect();
        format!(
            "{} not in GSM-7",
            list(&names, if names.len() == 1 { "is" } else { "are" })
        )
    }

    /// Warnings: UCS-2 (naming the characters that forced it), more than one segment.
    pub fn findings(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        if self.encoding == Encoding::Ucs2 {
            findings.push(Finding {
                severity: Severity::Warning,
                code: "sms_ucs2",
                field: Some("body"),
                message: format!(
                    "{}, so the SMS is sent as UCS-2: 70 characters a segment instead of 160",
                    SmsCheck::ucs2_reason(&self.forced_by)
                ),
            });
        }
        if self.segments > 1 {
            findings.push(Finding {
                severity: Severity::Warning,
                code: "sms_segments",
                field: Some("body"),
                message: format!(
                    "{} {} of {} take {} segments, each billed as one SMS",
                    self.units,
                    self.encoding.unit(),
                    self.encoding,
                    self.segments
                ),
            });
        }
        findings
    }
}

/// `UCS-2 (forced by '🎉' (U+1F389)), 48 characters, 49 code units, 1 segment`.
impl fmt::Display for SmsCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.encoding)?;
        if !self.forced_by.is_empty() {
            let chars: Vec<String> = self.forced_by.iter().map(|c| describe(*c)).collect();
            write!(f, " (forced by {})", chars.join(", "))?;
        }
        write!(
            f,
            ", {} characters, {} {}, {} segment{}",
            self.characters,
            self.units,
            self.encoding.unit(),
            self.segments,
            if self.segments == 1 { "" } else { "s" }
        )
    }
}

/// A character as a reader can find it: `'🎁' (U+1F381)`.
pub fn describe(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}' (U+{:04X})", c as u32)
    }
}

fn list(items: &[String], verb: &str) -> String {
    match items {
        [] => String::new(),
        [one] => format!("{one} {verb}"),
        [init @ .., last] => format!("{} and {last} {verb}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_160_character_gsm_text_is_one_segment_and_161_is_two() {
        let text = "a".repeat(160);
        let check = sms(&text);
        assert_eq!(check.encoding, Encoding::Gsm7);
        assert_eq!(
            (check.characters, check.units, check.segments),
            (160, 160, 1)
        );
        assert!(check.findings().is_empty());

        let check = sms(&"a".repeat(161));
        assert_eq!(
            (check.characters, check.units, check.segments),
            (161, 161, 2)
        );
        assert_eq!(check.findings()[0].code, "sms_segments");
    }

    #[test]
    fn a_euro_sign_counts_two_septets() {
        let text = format!("{}€", "a".repeat(159));
        let check = sms(&text);
        assert_eq!(check.encoding, Encoding::Gsm7);
        assert_eq!(
            (check.characters, check.units, check.segments),
            (160, 161, 2)
        );
        assert!(check.forced_by.is_empty());
    }

    #[test]
    fn every_extension_character_counts_two_septets() {
        for c in ['^', '{', '}', '\\', '[', ']', '~', '|', '€'] {
            assert_eq!(gsm_septets(c), Some(2), "{c}");
        }
        assert_eq!(sms("[x]").units, 5);
        assert_eq!(gsm_septets('`'), None);
        assert_eq!(gsm_septets('é'), Some(1));
        assert_eq!(gsm_septets('ç'), None);
    }

    #[test]
    fn one_emoji_makes_71_characters_ucs2_in_two_segments_and_is_named() {
        let text = format!("{}🎁", "a".repeat(70));
        let check = sms(&text);
        assert_eq!(check.encoding, Encoding::Ucs2);
        assert_eq!((check.characters, check.units, check.segments), (71, 72, 2));
        assert_eq!(check.forced_by, vec!['🎁']);
        let findings = check.findings();
        assert_eq!(findings[0].code, "sms_ucs2");
        assert!(
            findings[0]
                .message
                .starts_with("'🎁' (U+1F381) is not in GSM-7")
        );
        assert_eq!(findings[1].code, "sms_segments");
    }

    #[test]
    fn ucs2_fits_70_units_in_one_segment_and_67_in_each_of_several() {
        assert_eq!(sms(&"é€ç".repeat(23)).segments, 1); // 69 units
        assert_eq!(sms(&"ç".repeat(70)).segments, 1);
        assert_eq!(sms(&"ç".repeat(71)).segments, 2);
        assert_eq!(sms(&"ç".repeat(134)).segments, 2);
        assert_eq!(sms(&"ç".repeat(135)).segments, 3);
        // 66 units then an emoji: the surrogate pair moves to the next segment, so 134
        // units need three segments where 134 single units need two.
        let text = format!("{}🎁{}", "ç".repeat(66), "ç".repeat(66));
        assert_eq!(sms(&text).units, 134);
        assert_eq!(sms(&text).segments, 3);
    }

    #[test]
    fn an_escape_pair_is_never_split_across_segments() {
        // 152 septets, then `€` (2) would straddle 153: it starts segment two, which
        // then holds 153, and the last `a` needs a third.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        let check = sms(&text);
        assert_eq!(check.units, 306);
        assert_eq!(check.segments, 3);
        assert_eq!(sms(&"a".repeat(306)).segments, 2);
    }

    #[test]
    fn an_empty_text_is_no_segment() {
        assert_eq!(sms("").segments, 0);
    }

    #[test]
    fn push_payloads_are_exactly_as_documented() {
        let check = push("Hi \"you\"", "Body", Some("shop://x"));
        assert_eq!(
            check.apns,
            r#"{"aps":{"alert":{"title":"Hi \"you\"","body":"Body"}},"deep_link":"shop://x"}"#
        );
        assert_eq!(
            check.fcm,
            r#"{"message":{"notification":{"title":"Hi \"you\"","body":"Body"},"data":{"deep_link":"shop://x"}}}"#
        );
        let check = push("Hi", "Body", None);
        assert_eq!(
            check.fcm,
            r#"{"message":{"notification":{"title":"Hi","body":"Body"}}}"#
        );
    }

    #[test]
    fn a_push_payload_of_4096_bytes_fits_and_4097_does_not() {
        // {"message":{"notification":{"title":"Hi","body":"…"}}} is 53 bytes around
        // the body; the APNs payload around the same body is 42.
        let fcm_frame = r#"{"message":{"notification":{"title":"Hi","body":""}}}"#.len();
        assert_eq!(fcm_frame, 53);
        let fits = push("Hi", &"a".repeat(4096 - 53), None);
        assert_eq!(fits.fcm.len(), 4096);
        assert_eq!(fits.apns.len(), 4096 - 53 + 42);
        assert!(
            fits.findings()
                .iter()
                .all(|f| f.severity != Severity::Error)
        );

        let over = push("Hi", &"a".repeat(4097 - 53), None);
        assert_eq!(over.fcm.len(), 4097);
        let errors: Vec<_> = over
            .findings()
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "the FCM payload is 4097 bytes; FCM takes at most 4096"
        );
    }

    #[test]
    fn push_sizes_match_the_payloads_byte_for_byte() {
        for (title, body, link) in [
            ("Hi", "Body", None),
            (
                "Hi \"you\"",
                "a\\b\n\t\u{1}\u{7f}₹🎉",
                Some("shop://x?a=\"1\""),
            ),
            ("", "", Some("")),
        ] {
            let built = push(title, body, link);
            assert_eq!(
                push_sizes(title, body, link),
                (built.apns.len(), built.fcm.len())
            );
        }
    }

    #[test]
    fn multibyte_characters_count_as_their_utf8_bytes_in_the_payload() {
        // '₹' is 3 bytes: 1348 of them plus the 53-byte frame is 4097 bytes.
        let over = push("Hi", &"₹".repeat(1348), None);
        assert_eq!(over.fcm.len(), 4097);
        assert_eq!(over.body_chars, 1348);
    }

    #[test]
    fn push_lengths_past_the_recommendations_are_warnings() {
        let check = push(&"t".repeat(51), &"b".repeat(151), None);
        let messages: Vec<String> = check.findings().into_iter().map(|f| f.message).collect();
        assert_eq!(
            messages,
            [
                "the title is 51 characters; iOS shows about 50 before cutting it off",
                "the body is 151 characters; iOS shows about 150 before cutting it off",
            ]
        );
        assert!(
            push(&"t".repeat(50), &"b".repeat(150), None)
                .findings()
                .is_empty()
        );
        assert_eq!(push(&"t".repeat(66), "", None).findings().len(), 2);
    }

    #[test]
    fn check_dispatches_on_the_channel() {
        let mut fields = IndexMap::new();
        fields.insert("body", "Hello €".to_owned());
        let report = check(Channel::Sms, &fields);
        assert_eq!(report.sms.as_ref().map(|s| s.units), Some(8));
        assert!(report.push.is_none());
        assert!(check(Channel::Email, &fields).findings.is_empty());
    }
}
