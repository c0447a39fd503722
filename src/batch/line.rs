//! One input line to its outcome: the checks a raw line goes through before it is a
//! record, and the outcome line the batch writes for it.

use std::borrow::Cow;
use std::panic::{self, AssertUnwindSafe};

use serde::Serialize;
use serde_json_borrow::Value as Json;

use crate::message::{Failure, FailureKind, Message, Outcome};
use crate::promo::record::{Record, RecordError, RecordOptions};

/// The outcome of one input line: its [`Outcome`] with the line's number and the
/// record's `identity`. Serializes as one JSON object, the outcome's keys after `line`
/// and `identity`:
///
/// ```json
/// {"line": 3, "identity": "u-1", "outcome": "rendered", "fields": {"title": "..."}, "warnings": []}
/// {"line": 4, "outcome": "failed", "kind": "invalid_json", "message": "not valid JSON: ..."}
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineOutcome<'a> {
    /// The line's number in the input, from 1; blank lines are counted, so it is the
    /// number an editor or `sed -n 17p` shows.
    pub line: u64,
    /// The record's `identity`, when it had one, even when the record failed (unless
    /// the line was not JSON at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Cow<'a, str>>,
    /// What became of the record.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl LineOutcome<'_> {
    /// The same outcome, owning its identity.
    pub fn into_owned(self) -> LineOutcome<'static> {
        LineOutcome {
            line: self.line,
            identity: self.identity.map(|i| Cow::Owned(i.into_owned())),
            outcome: self.outcome,
        }
    }

    /// Appends the outcome as one line of JSON, newline included, to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Cannot fail: every map key is a string, and writing to a Vec never fails.
        serde_json::to_writer(&mut *out, self).expect("an outcome serializes to JSON");
        out.push(b'\n');
    }

    /// Appends the outcome as one line of JSON, newline included, with `"id": id` in
    /// place of `"line"`: the form of an outcome whose record came from a stream entry
    /// (`id` is the entry's id) rather than from a line of a file.
    pub fn write_json_with_id(&self, id: &str, out: &mut Vec<u8>) {
        #[derive(Serialize)]
        struct WithId<'o> {
            id: &'o str,
            #[serde(skip_serializing_if = "Option::is_none")]
            identity: Option<&'o str>,
            #[serde(flatten)]
            outcome: &'o Outcome,
        }
        let with_id = WithId {
            id,
            identity: self.identity.as_deref(),
            outcome: &self.outcome,
        };
        // Cannot fail, as in `write_json`.
        serde_json::to_writer(&mut *out, &with_id).expect("an outcome serializes to JSON");
        out.push(b'\n');
    }
}

/// An input line as the reader delivers it.
#[derive(Clone, Copy, Debug)]
pub(super) enum Input<'a> {
    /// The line's bytes, newline excluded.
    Bytes(&'a [u8]),
    /// A line over the limit, of this many bytes, not kept.
    TooLong(u64),
}

/// Renders one input line: checks it, reads the record and renders the message, into
/// the buffers of `spare` (see [`Message::render_reusing`]).
pub(super) fn outcome<'a>(
    message: &Message,
    options: &RecordOptions,
    max_line_bytes: usize,
    number: u64,
    input: Input<'a>,
    spare: Option<Outcome>,
) -> LineOutcome<'a> {
    let (identity, outcome) = match input {
        Input::TooLong(length) => (None, too_long(length, max_line_bytes)),
        Input::Bytes(bytes) if bytes.len() > max_line_bytes => {
            (None, too_long(bytes.len() as u64, max_line_bytes))
        }
        Input::Bytes(bytes) => match std::str::from_utf8(bytes) {
            Err(e) => (None, not_utf8(bytes, &e)),
            // A bug of ours that panics on one record fails that record alone: the
            // batch (or the stream worker) goes on with the next. Nothing the record
            // shares with others is left half-changed: the message is only read, and
            // `spare` (field buffers) is consumed by the render.
            Ok(text) => {
                match panic::catch_unwind(AssertUnwindSafe(|| match Record::parse(text, options) {
                    Ok(record) => {
                        let outcome = message.render_reusing(&record, spare);
                        (record.identity, outcome)
                    }
                    Err(e) => (identity_of(text), invalid_record(&e)),
                })) {
                    Ok(outcome) => outcome,
                    Err(payload) => (identity_of(text), internal(payload.as_ref())),
                }
            }
        },
    };
    LineOutcome {
        line: number,
        identity,
        outcome,
    }
}

/// The outcome of a record whose render panicked.
fn internal(payload: &(dyn std::any::Any + Send)) -> Outcome {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    Outcome::failed(
        FailureKind::Internal,
        format!(
            "promo-liquid failed on this record ({what}): a bug, please report it with \
             the record; the records around it were rendered"
        ),
    )
}

fn too_long(length: u64, limit: usize) -> Outcome {
    Outcome::failed(
        FailureKind::LineTooLong,
        format!("the line is {length} bytes long, over the limit of {limit} bytes"),
    )
}

fn not_utf8(bytes: &[u8], e: &std::str::Utf8Error) -> Outcome {
    let at = e.valid_up_to();
    let message = match (e.error_len(), bytes.get(at)) {
        (Some(_), Some(byte)) => format!(
            "not valid UTF-8: byte {} (0x{byte:02x}) is not part of a UTF-8 character",
            at + 1
        ),
        _ => "not valid UTF-8: the line ends inside a character".to_owned(),
    };
    Outcome::failed(FailureKind::InvalidUtf8, message)
}

fn invalid_record(e: &RecordError) -> Outcome {
    let mut failure = Failure::from_record_error(e);
    if let RecordError::Json { .. } = e {
        // serde_json counts lines inside the text, and a line has only one.
        failure.message = failure.message.replace(" at line 1 column ", " at column ");
    }
    Outcome::from(failure)
}

/// The `identity` of a record that failed validation, so its failure still says whose
/// it was. Only failed records pay for this second parse.
fn identity_of(text: &str) -> Option<Cow<'_, str>> {
    let Ok(Json::Object(fields)) = serde_json::from_str::<Json<'_>>(text) else {
        return None;
    };
    match fields
        .into_vec()
        .into_iter()
        .find(|(k, _)| k == "identity")?
    {
        (_, Json::Str(s)) => Some(s),
        (_, Json::Number(n)) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promo::{self, Settings};

    fn message() -> Message {
        let env = promo::environment(&Settings::default());
        Message::from_toml(
            "wallet.toml",
            r#"
            event = "CT Points Credited"
            channel = "sms"
            [fields]
            body = "+{{ Event.Points }} for {{ Profile.Name }}"
            "#,
            &env,
        )
        .unwrap()
    }

    fn json(line: &[u8]) -> String {
        let outcome = outcome(
            &message(),
            // Short records that carry only what the message reads.
            &RecordOptions {
                allow_missing: true,
                ..RecordOptions::default()
            },
            100,
            7,
            Input::Bytes(line),
            None,
        );
        let mut out = Vec::new();
        outcome.write_json(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_record_whose_render_panics_fails_alone_with_internal() {
        let mut env = promo::environment(&Settings::default());
        env.filters_mut().add(
            "explode",
            "explode",
            "Panics on the text \"boom\" (a stand-in for a bug).",
            "{{ 'x' | explode }} → x",
            |input, _| {
                assert!(input.as_str() != Some("boom"), "the filter blew up");
                Ok(input.clone())
            },
        );
        let message =
            Message::from_template("t.liquid", "{{ Profile.Name | explode }}", &env).unwrap();
        let options = RecordOptions {
            allow_missing: true,
            ..RecordOptions::default()
        };
        let line = |name: &str| {
            format!(
                r#"{{"identity": "u-{name}", "evtName": "CT Points Credited", "profileData": {{"Name": "{name}"}}}}"#
            )
        };
        let render = |number, text: &str| {
            let mut out = Vec::new();
            outcome(
                &message,
                &options,
                1000,
                number,
                Input::Bytes(text.as_bytes()),
                None,
            )
            .write_json(&mut out);
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()
        };
        let outcomes = [
            render(1, &line("ana")),
            render(2, &line("boom")),
            render(3, &line("raj")),
        ];
        assert_eq!(outcomes[0]["fields"]["text"], "ana");
        assert_eq!(outcomes[1]["outcome"], "failed");
        assert_eq!(outcomes[1]["kind"], "internal");
        assert_eq!(outcomes[1]["identity"], "u-boom");
        let why = outcomes[1]["message"].as_str().unwrap();
        assert!(why.contains("the filter blew up"), "{why}");
        assert_eq!(outcomes[2]["fields"]["text"], "raj");
    }

    #[test]
    fn a_rendered_record_carries_its_line_and_identity() {
        assert_eq!(
            json(br#"{"identity":"u-1","evtName":"CT Points Credited","evtData":{"points":5}}"#),
            // `at` is in the message's TOML text: line 5, where `body = "` starts at
            // column 13 and the field's column 28 is column 48.
            "{\"line\":7,\"identity\":\"u-1\",\"outcome\":\"rendered\",\"fields\":{\"body\":\"+5 for \"},\"warnings\":[{\"kind\":\"undefined_variable\",\"field\":\"body\",\"path\":\"Profile.Name\",\"at\":{\"line\":5,\"col\":48},\"field_at\":{\"line\":1,\"col\":28}}],\"sms\":{\"encoding\":\"GSM-7\",\"characters\":7,\"units\":7,\"segments\":1,\"forced_by\":[]}}\n"
        );
    }

    #[test]
    fn a_failed_record_keeps_its_identity() {
        assert_eq!(
            json(br#"{"identity":42,"evtName":"CT Points Credited","evtData":{"points":"ten"}}"#),
            "{\"line\":7,\"identity\":\"42\",\"outcome\":\"failed\",\"kind\":\"invalid_record\",\"message\":\"property \\\"Points\\\": expected a number, found \\\"ten\\\"\"}\n"
        );
    }

    #[test]
    fn an_entry_outcome_has_its_id_where_a_line_outcome_has_its_number() {
        let line = br#"{"identity":"u-1","evtName":"CT Points Credited","evtData":{"points":"x"}}"#;
        let outcome = outcome(
            &message(),
            &RecordOptions::default(),
            100,
            7,
            Input::Bytes(line),
            None,
        );
        let mut out = Vec::new();
        outcome.write_json_with_id("1700000000000-3", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            json(line).replace("\"line\":7", "\"id\":\"1700000000000-3\"")
        );
        assert!(json(line).starts_with("{\"line\":7,\"identity\":\"u-1\",\"outcome\":\"failed\""));
    }

    #[test]
    fn lines_that_are_not_records_say_why() {
        assert_eq!(
            json(b"{\"evtName\": "),
            "{\"line\":7,\"outcome\":\"failed\",\"kind\":\"invalid_json\",\"message\":\"not valid JSON: EOF while parsing a value at column 12\"}\n"
        );
        assert_eq!(
            json(b"{\"identity\": \"u-\xff\"}"),
            "{\"line\":7,\"outcome\":\"failed\",\"kind\":\"invalid_utf8\",\"message\":\"not valid UTF-8: byte 17 (0xff) is not part of a UTF-8 character\"}\n"
        );
        assert_eq!(
            json(b"\"\xe2\x82"),
            "{\"line\":7,\"outcome\":\"failed\",\"kind\":\"invalid_utf8\",\"message\":\"not valid UTF-8: the line ends inside a character\"}\n"
        );
        assert_eq!(
            json(&[b'x'; 101]),
            "{\"line\":7,\"outcome\":\"failed\",\"kind\":\"line_too_long\",\"message\":\"the line is 101 bytes long, over the limit of 100 bytes\"}\n"
        );
    }
}
