//! The preview service's API, over a real socket: the real binary on an ephemeral port.

mod serve;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use serve::{Server, cli};

const NOW: &str = "2026-10-30T09:00:00+05:30";

/// Each bundled message with a sample record of its event.
const PAIRS: &[(&str, &str)] = &[
    (
        "templates/coupon-rewarded.push.toml",
        "templates/records/coupon-rewarded.json",
    ),
    (
        "templates/coupon-rewarded.email.toml",
        "templates/records/coupon-rewarded.json",
    ),
    (
        "templates/coupon-redeemed.push.toml",
        "templates/records/coupon-redeemed.json",
    ),
    (
        "templates/coupon-reverted.sms.toml",
        "templates/records/coupon-reverted.json",
    ),
    (
        "templates/wallet.push.toml",
        "templates/records/points-debited.json",
    ),
    (
        "templates/partner-voucher.push.toml",
        "templates/records/partner-voucher-rewarded.json",
    ),
    (
        "templates/partner-voucher.push.toml",
        "templates/records/partner-voucher-amazon-pay.json",
    ),
    // The wrong event: a failed outcome, byte for byte too.
    (
        "templates/wallet.push.toml",
        "templates/records/coupon-rewarded.json",
    ),
];

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// A CT Points Credited record with every property the event requires.
fn credited_record(points: i64) -> Value {
    json!({"evtName": "CT Points Credited", "evtData": {
        "points": points, "walletId": "w-1", "campaignId": "c-1", "source": "API", "transactionId": "t-1"
    }})
}

#[test]
fn render_answers_byte_for_byte_what_the_cli_prints() {
    // The partner voucher's message takes its body from the bundled snippet library.
    let server = Server::start(&["--snippets", "templates/snippets"]);
    // A long SMS for a record without its required properties, beside the bundled pairs.
    let dir = std::env::temp_dir().join(format!("serve-parity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sms = dir.join("long.sms.toml");
    let body = "+{{ Event.Points }} points. ".repeat(20);
    std::fs::write(
        &sms,
        format!("event = \"CT Points Credited\"\nchannel = \"sms\"\n[fields]\nbody = \"{body}\"\n"),
    )
    .unwrap();
    let partial = dir.join("partial.json");
    std::fs::write(
        &partial,
        r#"{"evtName": "CT Points Credited", "evtData": {"points": 7}}"#,
    )
    .unwrap();
    let (sms, partial) = (sms.to_str().unwrap(), partial.to_str().unwrap());
    let mut pairs = PAIRS.to_vec();
    pairs.push((sms, partial));
    // Each CLI option set, and the same options in the request.
    let option_sets: [(&[&str], Value); 4] = [
        (&[], json!({})),
        (
            &["--strict", "--tz", "Asia/Kolkata"],
            json!({"strict": true, "tz": "Asia/Kolkata"}),
        ),
        (&["--allow-missing"], json!({"allow_missing": true})),
        (
            &["--allow-missing", "--max-segments", "1"],
            json!({"allow_missing": true, "max_segments": 1}),
        ),
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for &(message, record) in &pairs {
        for (flags, options) in &option_sets {
            let mut args = vec![
                "render", message, "--record", record, "--format", "json", "--now", NOW,
            ];
            args.extend_from_slice(&["--snippets", "templates/snippets"]);
            args.extend_from_slice(flags);
            let expected = cli(&args);
            assert!(expected.starts_with("{\n"), "{message}: {expected:?}");
            let mut request = json!({
                "message": read(message),
                "name": message,
                "record": serde_json::from_str::<Value>(&read(record)).unwrap(),
                "record_name": record,
                "now": NOW,
            });
            for (key, value) in options.as_object().unwrap() {
                request[key] = value.clone();
            }
            let response = server.post("/v1/render", &request);
            assert_eq!(response.status, 200, "{}", response.body);
            assert_eq!(response.header("content-type"), Some("application/json"));
            assert_eq!(
                response.body, expected,
                "{message} with {record} and {flags:?}"
            );
            let outcome = response.json();
            kinds.insert(format!("{} {}", outcome["outcome"], outcome["kind"]));
        }
    }
    // The comparison covered renders and each way of failing the options decide.
    for kind in [
        "rendered",
        "wrong_event",
        "invalid_record",
        "too_many_segments",
    ] {
        assert!(
            kinds.iter().any(|k| k.contains(kind)),
            "no {kind} among {kinds:?}"
        );
    }
}

#[test]
fn a_template_that_does_not_compile_is_the_cli_s_failed_outcome() {
    let server = Server::start(&[]);
    let dir = std::env::temp_dir().join(format!("serve-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.liquid");
    let template = "Hi {{ Profile.Name | upcase | bogus }}";
    std::fs::write(&path, template).unwrap();
    let path = path.to_str().unwrap();
    let expected = cli(&[
        "render",
        path,
        "--record",
        "templates/records/points-credited.json",
        "--format",
        "json",
    ]);
    let response = server.post(
        "/v1/render",
        &json!({
            "template": template,
            "name": path,
            "record": serde_json::from_str::<Value>(&read("templates/records/points-credited.json")).unwrap(),
        }),
    );
    assert_eq!(response.body, expected);
    let outcome = response.json();
    assert_eq!(outcome["outcome"], "failed");
    assert_eq!(outcome["kind"], "unknown_filter");
    assert_eq!(outcome["at"], json!({"line": 1, "col": 31}));
}

#[test]
fn records_give_their_outcomes_in_order_up_to_the_limit() {
    let server = Server::start(&["--max-records", "3"]);
    let template = "+{{ Event.Points }} for {{ Profile.Name | default: 'you' }}";
    let credited = |points: i64| credited_record(points);
    let response = server.post(
        "/v1/render",
        &json!({
            "template": template,
            "records": [credited(5), {"evtName": "CT Pionts Credited"}, credited(7)],
        }),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let outcomes = response.json()["outcomes"].clone();
    assert_eq!(outcomes[0]["fields"]["text"], "+5 for you");
    assert_eq!(outcomes[1]["outcome"], "failed");
    assert_eq!(outcomes[1]["kind"], "invalid_record");
    assert_eq!(outcomes[2]["fields"]["text"], "+7 for you");
    assert_eq!(outcomes.as_array().unwrap().len(), 3);

    let response = server.post(
        "/v1/render",
        &json!({"template": template, "records": [credited(1), credited(2), credited(3), credited(4)]}),
    );
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["kind"], "bad_request");
    assert_eq!(
        response.json()["message"],
        "records: at most 3 records a request (--max-records), found 4"
    );
}

/// A fresh directory under the test's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A template that outputs `n` undefined paths, `x0` to `x{n-1}`, one a line.
fn undefined_paths(n: usize) -> String {
    (0..n).map(|i| format!("{{{{ x{i} }}}}\n")).collect()
}

#[test]
fn an_outcome_lists_its_first_100_warnings_and_counts_the_rest() {
    let server = Server::start(&[]);
    let dir = scratch("warnings");
    let record = credited_record(1);
    let record_file = dir.join("record.json");
    std::fs::write(&record_file, record.to_string()).unwrap();
    let record_file = record_file.to_str().unwrap();
    for (places, omitted) in [(3, None), (100, None), (101, Some(1)), (250, Some(150))] {
        let template = undefined_paths(places);
        let file = dir.join(format!("t{places}.liquid"));
        std::fs::write(&file, &template).unwrap();
        let file = file.to_str().unwrap();
        // The CLI lists every warning.
        let printed = cli(&["render", file, "--record", record_file, "--format", "json"]);
        let expected: Value = serde_json::from_str(&printed).unwrap();
        let all = expected["warnings"].as_array().unwrap();
        assert_eq!(all.len(), places, "{printed}");
        let response = server.post(
            "/v1/render",
            &json!({"template": template, "name": file, "record": record}),
        );
        assert_eq!(response.status, 200, "{}", response.body);
        let outcome = response.json();
        assert_eq!(outcome["outcome"], "rendered");
        assert_eq!(
            outcome["warnings"].as_array().unwrap()[..],
            all[..places.min(100)],
            "{places} places"
        );
        assert_eq!(
            outcome.get("warnings_omitted"),
            omitted.map(Value::from).as_ref()
        );
        if omitted.is_none() {
            assert_eq!(response.body, printed, "{places} places");
        }
    }
    // Each outcome of a `records` request, and each preview, is cut alike.
    let template = undefined_paths(250);
    let response = server.post(
        "/v1/render",
        &json!({"template": template, "records": [record, record]}),
    );
    for outcome in response.json()["outcomes"].as_array().unwrap() {
        assert_eq!(outcome["warnings"].as_array().unwrap().len(), 100);
        assert_eq!(outcome["warnings"][99]["path"], "x99");
        assert_eq!(outcome["warnings_omitted"], 150);
    }
    let response = server.post(
        "/v1/preview",
        &json!({"template": template, "event": "CT Points Credited", "now": NOW}),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let previews = response.json()["previews"].clone();
    let rendered: Vec<&Value> = previews
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["outcome"] == "rendered")
        .collect();
    assert!(!rendered.is_empty(), "{previews}");
    for preview in rendered {
        assert_eq!(preview["warnings"].as_array().unwrap().len(), 100);
        assert_eq!(preview["warnings_omitted"], 150);
    }
}

#[test]
fn the_outcomes_of_a_request_take_at_most_max_response_bytes_of_json() {
    let server = Server::start(&["--max-response-bytes", "20000"]);
    let dir = scratch("response-bytes");
    let record = credited_record(1);
    let record_file = dir.join("record.json");
    std::fs::write(&record_file, record.to_string()).unwrap();
    let record_file = record_file.to_str().unwrap();
    let template = "x".repeat(3000);
    let file = dir.join("long.liquid");
    std::fs::write(&file, &template).unwrap();
    let file = file.to_str().unwrap();
    let printed = cli(&["render", file, "--record", record_file, "--format", "json"]);
    let one: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(one["outcome"], "rendered", "{printed}");
    // Under the limit, the answer is the CLI's.
    let response = server.post(
        "/v1/render",
        &json!({"template": template, "name": file, "record": record}),
    );
    assert_eq!(response.body, printed);
    // Ten records: as many outcomes as fit whole, each counted as the CLI prints it,
    // then failures that say why.
    let fit = 20000 / printed.len();
    assert!((2..10).contains(&fit), "{}", printed.len());
    let response = server.post(
        "/v1/render",
        &json!({"template": template, "name": file, "records": vec![record.clone(); 10]}),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let outcomes = response.json()["outcomes"].as_array().unwrap().clone();
    assert_eq!(outcomes.len(), 10);
    for (i, outcome) in outcomes.iter().enumerate() {
        if i < fit {
            assert_eq!(*outcome, one, "outcome {i}");
        } else {
            assert_eq!(outcome["outcome"], "failed", "outcome {i}");
            assert_eq!(outcome["kind"], "limit_exceeded");
            let message = outcome["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("this outcome is {} bytes of JSON", printed.len()))
                    && message.contains("--max-response-bytes"),
                "{message}"
            );
        }
    }
    // It is the JSON that counts: 4,000 control characters are 24,000 bytes of it.
    let response = server.post(
        "/v1/render",
        &json!({"template": "\u{1}".repeat(4000), "record": record}),
    );
    let outcome = response.json();
    assert_eq!(outcome["kind"], "limit_exceeded", "{outcome}");
    assert!(response.body.len() < 1000, "{}", response.body.len());
    // A preview's samples likewise.
    let response = server.post(
        "/v1/preview",
        &json!({"template": "\u{1}".repeat(4000), "event": "CT Points Credited", "now": NOW}),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let previews = response.json()["previews"].clone();
    for preview in previews.as_array().unwrap() {
        assert_eq!(preview["kind"], "limit_exceeded", "{preview}");
        assert!(preview.get("checks").is_none(), "{preview}");
    }
}

#[test]
fn a_template_of_a_megabyte_on_one_line_is_answered_in_bounds() {
    // 200,000 undefined outputs on one line, just under the engine's 1 MiB template
    // limit. Locating each place by counting from the line's start made linting it
    // quadratic (8 s of a release build), and the render answered 45 MB of warnings.
    let server = Server::start(&[]);
    let template = "{{x}}".repeat(200_000);
    let response = server.post("/v1/lint", &json!({"template": template}));
    assert_eq!(response.status, 200, "{}", response.body);
    let report = response.json();
    assert_eq!(
        report["files"][0]["diagnostics"][0]["code"],
        "unknown_global"
    );
    assert_eq!(
        report["files"][0]["diagnostics"][0]["at"],
        json!({"line": 1, "col": 3})
    );
    let response = server.post(
        "/v1/render",
        &json!({"template": template, "record": credited_record(1)}),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let outcome = response.json();
    assert_eq!(outcome["warnings"].as_array().unwrap().len(), 100);
    assert_eq!(
        outcome["warnings"][99]["at"],
        json!({"line": 1, "col": 498})
    );
    assert_eq!(outcome["warnings_omitted"], 199_900);
    assert!(response.body.len() < 64 << 10, "{}", response.body.len());
}

/// Reads from `stream` until it closes; what it read and how long that took.
fn read_until_closed(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the connection is still open after {:?} ({e}); read {:?}",
                start.elapsed(),
                String::from_utf8_lossy(&got)
            ),
        }
    }
    (got, start.elapsed())
}

#[test]
fn a_client_that_does_not_finish_its_headers_is_disconnected_after_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "1"]);
    // Slowloris: part of a request line, then nothing.
    let mut slow = TcpStream::connect(&server.addr).unwrap();
    slow.write_all(b"POST /v1/render HT").unwrap();
    let (got, waited) = read_until_closed(&mut slow);
    assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
    assert!(
        waited >= Duration::from_millis(900),
        "closed after {waited:?}"
    );
    // A connection that sends nothing at all.
    let mut silent = TcpStream::connect(&server.addr).unwrap();
    let (got, waited) = read_until_closed(&mut silent);
    assert!(got.is_empty() && waited >= Duration::from_millis(900));
    // Headers sent in pieces within the timeout are served; the connection, kept
    // alive, is closed once it has been idle for the timeout.
    let mut patient = TcpStream::connect(&server.addr).unwrap();
    patient
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    patient.write_all(b"\r\n").unwrap();
    let (got, waited) = read_until_closed(&mut patient);
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with("{\n  \"status\": \"ok\"\n}\n"), "{text}");
    assert!(
        waited >= Duration::from_millis(900),
        "closed after {waited:?}"
    );
    // The server goes on.
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn a_client_that_does_not_read_its_answer_is_disconnected_after_the_write_timeout() {
    let server = Server::start(&["--write-timeout", "1", "--max-response-bytes", "100000000"]);
    // 100 outcomes of 40,000 control characters: 24 MB of JSON, more than the socket
    // buffers between the server and this client hold.
    let body =
        json!({"template": "\u{1}".repeat(40_000), "records": vec![credited_record(1); 100]})
            .to_string();
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    let head = format!(
        "POST /v1/render HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    // The answer is written until the buffers are full; then nothing is read for
    // longer than the write timeout (rendering takes its time too).
    std::thread::sleep(Duration::from_secs(6));
    let (got, _) = read_until_closed(&mut stream);
    let text = String::from_utf8_lossy(&got);
    let (head, answer) = text.split_once("\r\n\r\n").expect("the answer's head");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("a content-length")
        .parse()
        .unwrap();
    assert!(length > 20_000_000, "{length}");
    assert!(
        answer.len() < length,
        "the whole answer ({length} bytes) was still there to read"
    );
    // The server goes on.
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn malformed_requests_are_400s_that_say_what_is_wrong() {
    let server = Server::start(&[]);
    let record = credited_record(1);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "the request body is empty"),
        (b"{\"template\": \"x\", ".to_vec(), "EOF while parsing"),
        (b"[1, 2]".to_vec(), "the request body is not a JSON object"),
        (
            json!({"template": "x"}).to_string().into_bytes(),
            "missing field `record`",
        ),
        (
            json!({"record": record}).to_string().into_bytes(),
            "missing field `message`",
        ),
        (
            json!({"template": "x", "message": "y", "record": record})
                .to_string()
                .into_bytes(),
            "not both",
        ),
        (
            json!({"template": "x", "record": record, "strcit": true})
                .to_string()
                .into_bytes(),
            "unknown field `strcit`",
        ),
        (
            json!({"template": 5, "record": record})
                .to_string()
                .into_bytes(),
            "template: invalid type: integer `5`, expected a string",
        ),
        (
            json!({"template": "x", "record": "u-1"})
                .to_string()
                .into_bytes(),
            "record: expected a JSON object",
        ),
        (
            json!({"template": "x", "records": [record, 3]})
                .to_string()
                .into_bytes(),
            "records[1]: expected a JSON object",
        ),
        (
            json!({"template": "x", "record": record, "tz": "Mars/Olympus"})
                .to_string()
                .into_bytes(),
            "tz: \"Mars/Olympus\" is not an IANA time zone name",
        ),
        (
            json!({"template": "x", "record": record, "tz": null})
                .to_string()
                .into_bytes(),
            "tz: invalid type: null, expected a string",
        ),
        (
            json!({"template": "x", "record": record, "now": "yesterday"})
                .to_string()
                .into_bytes(),
            "now: \"yesterday\" is not an RFC 3339 time",
        ),
    ];
    for (body, expected) in cases {
        let response = server.request("POST", "/v1/render", &body);
        assert_eq!(response.status, 400, "{}", String::from_utf8_lossy(&body));
        let error = response.json();
        assert_eq!(error["kind"], "bad_request");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(expected),
            "{message:?} should say {expected:?}"
        );
        assert!(!message.contains("panicked"), "{message}");
    }
    let lint = server.post(
        "/v1/lint",
        &json!({"template": "x", "events": ["CT Coupon Rewardd"]}),
    );
    assert_eq!(lint.status, 400);
    assert!(
        lint.json()["message"]
            .as_str()
            .unwrap()
            .contains("did you mean \"CT Coupon Rewarded\"")
    );
}

#[test]
fn other_errors_are_json_with_a_kind_and_a_message() {
    let server = Server::start(&["--max-body-bytes", "1000"]);
    let big = json!({"template": "x".repeat(2000), "record": credited_record(1)});
    let response = server.post("/v1/render", &big);
    assert_eq!(response.status, 413);
    assert_eq!(response.json()["kind"], "payload_too_large");

    let response = server.get("/v2/render");
    assert_eq!(response.status, 404);
    assert_eq!(response.json()["kind"], "not_found");

    let response = server.get("/v1/render");
    assert_eq!(response.status, 405);
    assert_eq!(response.json()["kind"], "method_not_allowed");
    assert_eq!(response.header("allow"), Some("POST"));
}

#[test]
fn lint_reports_what_the_cli_reports_with_places_in_the_text_sent() {
    let server = Server::start(&[]);
    let path = "tests/fixtures/lint/coupon-typo.push.toml";
    let text = "event = \"CT Coupon Rewarded\"\nchannel = \"push\"\n\n[fields]\ntitle = \"Your code: {{ Event['Coupon Cod'] }}\"\nbody = \"Use {{ Event[\\\"Coupon Code\\\"] | default: 'it' }} today\"\n";
    let response = server.post("/v1/lint", &json!({"message": text, "name": path}));
    assert_eq!(response.status, 200, "{}", response.body);
    let report = response.json();
    assert_eq!(report["errors"], 1);
    let d = &report["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "unknown_property");
    assert_eq!(d["at"], json!({"line": 5, "col": 24}));
    let span = d["span"].as_array().unwrap();
    let (start, end) = (
        span[0].as_u64().unwrap() as usize,
        span[1].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "Event['Coupon Cod']");

    // The same report as the CLI's for the same file.
    let dir = std::env::temp_dir().join(format!("serve-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("coupon.push.toml");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let response = server.post("/v1/lint", &json!({"message": text, "name": file}));
    assert_eq!(response.body, cli(&["lint", file, "--format", "json"]));
}

#[test]
fn preview_gives_samples_with_their_records_and_the_channel_checks() {
    let server = Server::start(&[]);
    let message = "event = \"CT Points Credited\"\nchannel = \"sms\"\n[fields]\nbody = \"🎉 +{{ Event.Points }} points\"\n";
    let response = server.post("/v1/preview", &json!({"message": message, "now": NOW}));
    assert_eq!(response.status, 200, "{}", response.body);
    let report = response.json();
    assert_eq!(report["channel"], "sms");
    let first = &report["previews"][0];
    assert_eq!(first["label"], "CT Points Credited: all properties");
    assert_eq!(first["fields"]["body"], "🎉 +20 points");
    assert_eq!(first["record"]["evtName"], "CT Points Credited");
    assert_eq!(first["checks"]["sms"]["encoding"], "UCS-2");
    assert_eq!(first["checks"]["sms"]["forced_by"], json!(["🎉"]));
    assert_eq!(first["checks"]["sms"]["segments"], 1);

    let record = credited_record(9);
    let one = server.post(
        "/v1/preview",
        &json!({"message": message, "record": record}),
    );
    let previews = one.json()["previews"].clone();
    assert_eq!(previews.as_array().unwrap().len(), 1);
    assert_eq!(previews[0]["fields"]["body"], "🎉 +9 points");
}

#[test]
fn schema_filters_health_and_openapi_answer() {
    let server = Server::start(&[]);
    assert_eq!(
        server.get("/v1/schema").body,
        cli(&["schema", "--format", "json"])
    );
    assert_eq!(
        server.get("/v1/filters").body,
        cli(&["filters", "--format", "json"])
    );
    assert_eq!(server.get("/healthz").json(), json!({"status": "ok"}));
    let doc = server.get("/v1/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/render",
        "/v1/lint",
        "/v1/preview",
        "/v1/schema",
        "/v1/filters",
        "/healthz",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    let outcome = &doc["components"]["schemas"]["Outcome"];
    assert!(outcome["oneOf"].is_array(), "{outcome}");
    assert_eq!(
        doc["components"]["schemas"]["RenderRequest"]["properties"]["records"]["maxItems"],
        100
    );
}

#[test]
fn metrics_count_requests_latency_and_outcomes() {
    let server = Server::start(&[]);
    let record = credited_record(1);
    for template in [
        "a",
        "a",
        "{% abort %}",
        "{{ x | plus: 'a' | times: 1e400 }}",
    ] {
        server.post(
            "/v1/render",
            &json!({"template": template, "record": record}),
        );
    }
    server.post(
        "/v1/render",
        &json!({"template": "a", "record": {"evtName": "x"}}),
    );
    server.request("POST", "/v1/render", b"{");
    let text = server.get("/metrics").body;
    let has = |line: &str| text.lines().any(|l| l == line);
    assert!(
        has("promo_liquid_http_requests_total{route=\"/v1/render\",status=\"200\"} 5"),
        "{text}"
    );
    assert!(has(
        "promo_liquid_http_requests_total{route=\"/v1/render\",status=\"400\"} 1"
    ));
    assert!(
        has("promo_liquid_outcomes_total{outcome=\"rendered\",kind=\"\"} 2"),
        "{text}"
    );
    assert!(has(
        "promo_liquid_outcomes_total{outcome=\"aborted\",kind=\"\"} 1"
    ));
    assert!(has(
        "promo_liquid_outcomes_total{outcome=\"failed\",kind=\"invalid_record\"} 1"
    ));
    assert!(
        has("promo_liquid_message_cache_lookups_total{result=\"hit\"} 2"),
        "{text}"
    );
    assert!(text.contains(
        "promo_liquid_http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/v1/render\"} 6"
    ));
}

/// A template that runs until a limit stops it: a million loop iterations, then more.
const HOSTILE: &str = "{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..3) %}{% endfor %}{% endfor %}{% endfor %}";

/// Hostile templates of the render-budget kind: each ends in `limit_exceeded`.
fn hostile_templates() -> Vec<(&'static str, String)> {
    // A 512 KiB string, under the string limit.
    let big = "{% assign s = 'xxxxxxxx' %}{% for i in (1..16) %}{% assign s = s | append: s %}{% endfor %}";
    let when = format!("{{% when {} %}}", ["1"; 10].join(", "));
    vec![
        ("nested loops", HOSTILE.to_owned()),
        (
            // 65,536 references to the 512 KiB string (each value under its limit),
            // printed: 32 GiB.
            "array bomb",
            format!(
                "{big}{{% assign a = s | split: ',' %}}{{% for i in (1..16) %}}{{% assign a = a | concat: a %}}{{% endfor %}}{{{{ a }}}}"
            ),
        ),
        (
            // A repeated `when` runs its block once per match: 10^10 runs.
            "case bomb",
            format!(
                "{}x{}",
                format!("{{% case 1 %}}{when}").repeat(10),
                "{% endcase %}".repeat(10)
            ),
        ),
        (
            "upcase of 512 KiB a thousand times",
            format!("{big}{{% for i in (1..1000) %}}{{% assign t = s | upcase %}}{{% endfor %}}"),
        ),
    ]
}

/// The engine's deadline a render, which the service keeps by default.
const DEADLINE: Duration = Duration::from_millis(250);

#[test]
fn hostile_templates_fail_alone_within_the_deadline_while_other_requests_are_served() {
    let server = Server::start(&[]);
    let record = credited_record(3);
    let attacks: Vec<_> = hostile_templates()
        .into_iter()
        .map(|(name, template)| {
            let addr = server.addr.clone();
            let body = json!({"template": template, "record": record}).to_string();
            std::thread::spawn(move || {
                let start = Instant::now();
                let response = serve::request(&addr, "POST", "/v1/render", body.as_bytes());
                (name, response, start.elapsed())
            })
        })
        .collect();
    // While they run, ordinary renders are answered, each quickly.
    let mut served = 0;
    let mut slowest = Duration::ZERO;
    while attacks.iter().any(|a| !a.is_finished()) || served < 20 {
        let start = Instant::now();
        let response = server.post(
            "/v1/render",
            &json!({"template": "+{{ Event.Points }}", "record": record}),
        );
        slowest = slowest.max(start.elapsed());
        assert_eq!(response.json()["fields"]["text"], "+3");
        served += 1;
    }
    for attack in attacks {
        let (name, response, took) = attack.join().unwrap();
        let outcome = response.json();
        assert_eq!(outcome["outcome"], "failed", "{name}: {outcome}");
        assert_eq!(outcome["kind"], "limit_exceeded", "{name}: {outcome}");
        // Twice the deadline, and room for a busy machine's HTTP round trip.
        assert!(
            took < 2 * DEADLINE + Duration::from_millis(500),
            "{name} took {took:?}"
        );
    }
    assert!(
        slowest < Duration::from_millis(500),
        "an ordinary render took {slowest:?}"
    );
}

#[test]
fn a_saturated_service_answers_503_busy() {
    let server = Server::start(&["--max-concurrent", "1"]);
    let record = credited_record(1);
    let addr = server.addr.clone();
    // Five hostile records hold the one permit for a while.
    let records: Vec<Value> = (0..5).map(|_| record.clone()).collect();
    let slow = json!({"template": HOSTILE, "records": records});
    let attack = std::thread::spawn(move || {
        loop {
            // Our own polling may hold the permit at first.
            let response = serve::request(&addr, "POST", "/v1/render", slow.to_string().as_bytes());
            if response.status != 503 {
                return response;
            }
        }
    });
    let mut busy = None;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let response = server.post("/v1/lint", &json!({"template": "x"}));
        if response.status == 503 {
            busy = Some(response);
            break;
        }
    }
    let attack = attack.join().unwrap();
    let busy = busy.expect("a 503 while the one permit was taken");
    assert_eq!(busy.json()["kind"], "busy");
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert_eq!(attack.status, 200, "{}", attack.body);
    // Once the permit is free again, requests are served.
    assert_eq!(
        server.post("/v1/lint", &json!({"template": "x"})).status,
        200
    );
}

#[test]
fn a_request_past_the_timeout_is_a_504() {
    let server = Server::start(&["--timeout", "0.05"]);
    let record = credited_record(1);
    let records: Vec<Value> = (0..100).map(|_| record.clone()).collect();
    let response = server.post(
        "/v1/render",
        &json!({"template": HOSTILE, "records": records}),
    );
    assert_eq!(response.status, 504, "{}", response.body);
    assert_eq!(response.json()["kind"], "timeout");
}

#[test]
fn partials_are_not_read_from_disk_without_a_snippets_directory() {
    let server = Server::start(&[]);
    let record = credited_record(1);
    let response = server.post(
        "/v1/render",
        &json!({"template": "{% render 'Cargo.toml' %}", "record": record}),
    );
    let outcome = response.json();
    assert_eq!(outcome["kind"], "partial_not_found", "{outcome}");

    let dir = std::env::temp_dir().join(format!("serve-snippets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("greeting.liquid"), "Hello {{ who }}").unwrap();
    std::fs::write(dir.join("greeting.toml"), "[params]\nwho = \"string\"").unwrap();
    let server = Server::start(&["--snippets", dir.to_str().unwrap()]);
    let response = server.post(
        "/v1/render",
        &json!({"template": "{% render 'greeting', who: 'Asha' %}|{% render '../Cargo.toml' %}", "record": record}),
    );
    let outcome = response.json();
    // The library has no snippet of that name (it reads no file after it loads).
    assert_eq!(outcome["kind"], "missing_snippet", "{outcome}");
    let response = server.post(
        "/v1/render",
        &json!({"template": "{% render 'greeting', who: 'Asha' %}", "record": record}),
    );
    assert_eq!(response.json()["fields"]["text"], "Hello Asha");
}

#[path = "hostile/corpus.rs"]
mod corpus;

#[test]
fn the_hostile_corpus_ends_as_expected_through_the_service_while_others_are_served() {
    let cases = corpus::load();
    let big_bodies = ["--max-body-bytes", "16777216"];
    let plain = Server::start(&big_bodies);
    // Cases expected to render get a lifted deadline, as tests/hostile_corpus.rs gives
    // them, so that a busy machine (the deadline is wall-clock time) cannot fail them.
    let lifted = Server::start(&[big_bodies[0], big_bodies[1], "--deadline", "10000"]);
    let record = credited_record(3);
    // A few at a time, each beside a stream of ordinary renders.
    for chunk in cases.chunks(4) {
        let servers: Vec<Option<Server>> = chunk
            .iter()
            .map(|case| {
                case.partials.as_ref().and_then(|dir| {
                    let dir = dir.to_str().unwrap();
                    match Server::try_start(&[big_bodies[0], big_bodies[1], "--snippets", dir]) {
                        Ok(server) => Some(server),
                        // Partials that render each other in a cycle are refused when
                        // the snippet library loads: the end of the case, before any
                        // request.
                        Err(report) => {
                            assert!(
                                report.contains("snippets render each other in a cycle"),
                                "{}: {report}",
                                case.name
                            );
                            assert_eq!(case.outcome, "limit_exceeded", "{}", case.name);
                            None
                        }
                    }
                })
            })
            .collect();
        let attacks: Vec<_> = chunk
            .iter()
            .zip(&servers)
            .filter(|(case, own)| case.partials.is_none() || own.is_some())
            .map(|(case, own)| {
                let shared = if case.outcome == "rendered" {
                    &lifted
                } else {
                    &plain
                };
                let addr = own.as_ref().unwrap_or(shared).addr.clone();
                // The record is sent as it is written: it may nest deeper than a
                // `serde_json::Value` would parse.
                let body = format!(
                    "{{\"template\": {}, \"record\": {}}}",
                    serde_json::to_string(&case.template).unwrap(),
                    case.record
                );
                let attack = std::thread::spawn(move || {
                    let start = Instant::now();
                    let response = serve::request(&addr, "POST", "/v1/render", body.as_bytes());
                    (response, start.elapsed())
                });
                (case, attack)
            })
            .collect();
        let mut slowest = Duration::ZERO;
        while attacks.iter().any(|(_, a)| !a.is_finished()) {
            let start = Instant::now();
            let response = plain.post(
                "/v1/render",
                &json!({"template": "+{{ Event.Points }}", "record": record}),
            );
            slowest = slowest.max(start.elapsed());
            assert_eq!(response.json()["fields"]["text"], "+3");
        }
        for (case, attack) in attacks {
            let (response, took) = attack.join().unwrap();
            let name = &case.name;
            assert_eq!(response.status, 200, "{name}: {}", response.body);
            let outcome = response.json();
            let got = match outcome["outcome"].as_str().unwrap() {
                "failed" => outcome["kind"].as_str().unwrap().to_owned(),
                other => other.to_owned(),
            };
            assert_eq!(got, case.outcome, "{name}: {}", outcome["message"]);
            if let Some(expected) = &case.message {
                let message = outcome["message"].as_str().unwrap_or_default();
                assert!(
                    expected.split(" | ").any(|m| message.contains(m)),
                    "{name}: {message:?} should say {expected:?}"
                );
            }
            // A stopped render: twice the deadline, and room for a loaded machine's
            // HTTP round trip with three other hostile renders at once. A finished one
            // may have a large answer to write (200,000 undefined-output warnings).
            let bound = if got == "limit_exceeded" {
                2 * DEADLINE + Duration::from_secs(1)
            } else {
                Duration::from_secs(20)
            };
            assert!(
                took < bound,
                "{name} took {took:?} for {} bytes",
                response.body.len()
            );
        }
        assert!(
            slowest < Duration::from_secs(1),
            "an ordinary render took {slowest:?}"
        );
    }
}
