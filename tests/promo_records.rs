//! Input records: every kind of bad record gets its exact error, and property names,
//! dates and the personalization filters behave as the README says.

use promo_liquid::message::{Failure, FailureKind, Message, Outcome, Warning};
use promo_liquid::promo::record::{Record, RecordError};
use promo_liquid::promo::{self, Settings};

fn parse_error(line: &str) -> String {
    Record::parse(line, &Settings::default().record_options())
        .map(|_| "parsed".to_owned())
        .unwrap_or_else(|e: RecordError| e.to_string())
}

fn render_with(settings: Settings, line: &str, template: &str) -> String {
    let env = promo::environment(&settings);
    let message = Message::from_template("t.liquid", template, &env).unwrap();
    let record = Record::parse(line, &settings.record_options()).unwrap();
    match message.render(&record) {
        Outcome::Rendered { fields, .. } => fields["text"].clone(),
        other => panic!("{other:?}"),
    }
}

/// Settings for records that carry only what a test reads: their event's other
/// required properties may be missing.
fn partial() -> Settings {
    Settings {
        allow_missing: true,
        ..Settings::default()
    }
}

fn render(line: &str, template: &str) -> String {
    render_with(partial(), line, template)
}

#[test]
fn broken_json_says_where() {
    assert_eq!(
        parse_error(r#"{"evtName": "CT Points Credited", "#),
        "not valid JSON: EOF while parsing a value at line 1 column 34"
    );
}

#[test]
fn a_record_must_be_an_object_with_an_event_name() {
    assert_eq!(
        parse_error("[1, 2]"),
        "record: expected a JSON object, found an array"
    );
    assert_eq!(
        parse_error(r#"{"identity": "u-1"}"#),
        "missing \"evtName\": expected one of the six promo events"
    );
    assert_eq!(
        parse_error(r#"{"evtName": 7}"#),
        "evtName: expected a string, found 7"
    );
}

#[test]
fn an_unknown_event_lists_the_six_and_the_nearest() {
    assert_eq!(
        parse_error(r#"{"evtName": "CT Coupon Rewarted"}"#),
        "unknown event \"CT Coupon Rewarted\": expected one of \"CT Coupon Rewarded\", \
         \"CT Coupon Redeemed\", \"CT Coupon Reverted\", \"CT Points Credited\", \
         \"CT Points Debited\", \"CT Partner Voucher Rewarded\"; did you mean \"CT Coupon Rewarded\"?"
    );
}

#[test]
fn a_property_of_the_wrong_type_says_what_came() {
    let points = |v: &str| {
        parse_error(&format!(
            r#"{{"evtName": "CT Points Debited", "evtData": {{"Points": {v}}}}}"#
        ))
    };
    assert_eq!(
        points(r#""ten""#),
        "property \"Points\": expected a number, found \"ten\""
    );
    assert_eq!(
        points("true"),
        "property \"Points\": expected a number, found true"
    );
    assert_eq!(
        points(r#"{"n": 1}"#),
        "property \"Points\": expected a number, found an object"
    );
    assert_eq!(
        parse_error(r#"{"evtName": "CT Points Debited", "evtData": {"walletId": ["w"]}}"#),
        "property \"Wallet Id\": expected a string, found an array"
    );
}

#[test]
fn a_numeric_string_is_a_number() {
    let line =
        r#"{"evtName": "CT Points Debited", "evtData": {"Points": "20", "Transaction Id": 981}}"#;
    assert_eq!(
        render(
            line,
            "{{ Event.Points | plus: 1 }} {{ Event['Transaction Id'] }}"
        ),
        "21 981"
    );
}

#[test]
fn dates_that_cannot_be_read_are_refused_with_the_reason() {
    let expiry = |v: &str| {
        parse_error(&format!(
            r#"{{"evtName": "CT Coupon Rewarded", "evtData": {{"Coupon Expiry Date": "{v}"}}}}"#
        ))
    };
    assert_eq!(
        expiry("tomorrow"),
        "property \"Coupon Expiry Date\": expected a date as DD-MM-YYYY HH:MM:SS, \
         YYYY-MM-DD HH:MM:SS or epoch seconds, found \"tomorrow\""
    );
    assert_eq!(
        expiry("31-02-2026 10:00:00"),
        "property \"Coupon Expiry Date\": expected a real calendar date (there is no day 31 \
         in month 2 of 2026), found \"31-02-2026 10:00:00\""
    );
    assert_eq!(
        expiry("01/11/2026 10:00:00"),
        "property \"Coupon Expiry Date\": expected an unambiguous date (a date as \
         DD-MM-YYYY HH:MM:SS, YYYY-MM-DD HH:MM:SS or epoch seconds); day and month order \
         cannot be told apart, found \"01/11/2026 10:00:00\""
    );
    assert_eq!(
        expiry("01-11-2026"),
        "property \"Coupon Expiry Date\": expected a date as DD-MM-YYYY HH:MM:SS, \
         YYYY-MM-DD HH:MM:SS or epoch seconds (the time is missing), found \"01-11-2026\""
    );
}

#[test]
fn a_wall_clock_time_that_happens_twice_in_the_account_zone_is_refused() {
    let settings = Settings {
        time_zone: chrono_tz::America::New_York,
        ..Settings::default()
    };
    let line = r#"{"evtName": "CT Coupon Rewarded", "evtData": {"Coupon Expiry Date": "01-11-2026 01:30:00"}}"#;
    let err = Record::parse(line, &settings.record_options())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "property \"Coupon Expiry Date\": expected an unambiguous time (01-11-2026 01:30:00 \
         happens twice in America/New_York, when clocks go back), found \"01-11-2026 01:30:00\""
    );
}

#[test]
fn the_same_property_twice_is_refused() {
    assert_eq!(
        parse_error(r#"{"evtName": "CT Points Debited", "evtData": {"Points": 1, "points": 2}}"#),
        "property \"Points\" is given twice, as \"Points\" and as \"points\""
    );
}

#[test]
fn unknown_extra_properties_are_kept_and_render() {
    let line = r#"{"evtName": "CT Points Credited", "evtData": {"points": 5, "Festival": "Diwali", "tags": ["a", "b"]}}"#;
    assert_eq!(
        render(
            line,
            "{{ Event.Festival }} {{ Event.points }} {{ Event.tags | join: '+' }}"
        ),
        "Diwali 5 a+b"
    );
}

#[test]
fn canonical_snake_case_and_camel_case_names_reach_the_same_value() {
    let template = "{{ Event['Coupon Code'] }}|{{ Event.coupon_code }}|{{ Event.Description }}";
    for line in [
        r#"{"evtName": "CT Coupon Rewarded", "evtData": {"couponCode": "C1", "description": "D"}}"#,
        r#"{"evtName": "CT Coupon Rewarded", "evtData": {"Coupon Code": "C1", "Coupon Description": "D"}}"#,
        r#"{"evtName": "CT Coupon Rewarded", "evtData": {"coupon_code": "C1", "couponDescription": "D"}}"#,
    ] {
        assert_eq!(render(line, template), "C1|C1|D", "{line}");
    }
}

#[test]
fn day_first_dates_are_the_first_of_november_everywhere() {
    let line = r#"{"evtName": "CT Coupon Rewarded", "evtData": {"Coupon Expiry Date": "01-11-2026 00:00:00"}}"#;
    assert_eq!(
        render(
            line,
            "{{ Event['Coupon Expiry Date'] }} = {{ Event['Coupon Expiry Date'] | date: '%-d %B %Y' }}"
        ),
        "01-11-2026 00:00:00 = 1 November 2026"
    );
}

#[test]
fn time_zone_converts_from_the_account_zone_with_daylight_saving() {
    let expiry = |d: &str| {
        format!(
            r#"{{"evtName": "CT Coupon Rewarded", "evtData": {{"Coupon Expiry Date": "{d}"}}}}"#
        )
    };
    let tpl = |zone: &str| {
        format!(
            "{{{{ Event['Coupon Expiry Date'] | time_zone: '{zone}' | date: '%d %b %Y %H:%M' }}}}"
        )
    };
    assert_eq!(
        render(&expiry("01-11-2026 00:00:00"), &tpl("Asia/Kolkata")),
        "01 Nov 2026 05:30"
    );
    // New York leaves daylight saving time at 06:00 UTC on 1 November 2026.
    assert_eq!(
        render(&expiry("31-10-2026 12:00:00"), &tpl("America/New_York")),
        "31 Oct 2026 08:00"
    );
    assert_eq!(
        render(&expiry("01-11-2026 12:00:00"), &tpl("America/New_York")),
        "01 Nov 2026 07:00"
    );
    // In a Kolkata account the same wall-clock text is 5:30 earlier in UTC.
    let kolkata = Settings {
        time_zone: chrono_tz::Asia::Kolkata,
        ..partial()
    };
    assert_eq!(
        render_with(kolkata, &expiry("01-11-2026 00:00:00"), &tpl("UTC")),
        "31 Oct 2026 18:30"
    );
}

#[test]
fn numbers_and_money_are_grouped_for_people() {
    let line = r#"{"evtName": "CT Points Credited"}"#;
    assert_eq!(
        render(line, "{{ 1234567 | number_with_delimiter: 'indian' }}"),
        "12,34,567"
    );
    assert_eq!(render(line, "{{ 1299.5 | money: 'INR' }}"), "₹1,299.50");
}

#[test]
fn missing_properties_are_undefined_for_default_and_strict() {
    let line = r#"{"evtName": "CT Points Credited", "profileData": {"Name": "Asha"}}"#;
    assert_eq!(
        render(
            line,
            "{{ Event['Wallet Name'] | default: 'your wallet' }}, {{ Profile.Name }}{{ Profile.City }}"
        ),
        "your wallet, Asha"
    );
    let strict = Settings {
        strict: true,
        ..partial()
    };
    let env = promo::environment(&strict);
    let message = Message::from_template("t.liquid", "Hi {{ Profile.City }}", &env).unwrap();
    let record = Record::parse(line, &strict.record_options()).unwrap();
    match message.render(&record) {
        Outcome::Failed(failure) => {
            assert_eq!(failure.kind, FailureKind::UndefinedVariable);
            assert_eq!(
                failure.message,
                "`Profile.City` is undefined; add a `default` filter or test it with `if`"
            );
            assert_eq!(failure.field.as_deref(), Some("text"));
            assert_eq!(failure.at.unwrap().to_string(), "1:7");
            assert_eq!(failure.field_at.unwrap().to_string(), "1:7");
        }
        other => panic!("{other:?}"),
    }
}

const DEBITED_WITHOUT_POINTS: &str = r#"{"evtName": "CT Points Debited", "evtData": {"Wallet Id": "w-1", "Source": "API", "Transaction Id": "t-1"}}"#;

#[test]
fn a_record_without_a_required_property_fails_naming_it() {
    assert_eq!(
        parse_error(DEBITED_WITHOUT_POINTS),
        "missing required property of \"CT Points Debited\": \"Points\""
    );
    assert_eq!(
        parse_error(r#"{"evtName": "CT Points Debited", "evtData": {"Points": null}}"#),
        "missing required properties of \"CT Points Debited\": \"Wallet Id\", \"Source\", \"Points\", \"Transaction Id\""
    );
    let env = promo::environment(&Settings::default());
    let message = Message::from_template("t.liquid", "-{{ Event.Points }}", &env).unwrap();
    let failure = match Record::parse(
        DEBITED_WITHOUT_POINTS,
        &Settings::default().record_options(),
    ) {
        Err(e) => Failure::from_record_error(&e),
        Ok(record) => panic!("{:?}", message.render(&record)),
    };
    assert_eq!(failure.kind, FailureKind::InvalidRecord);
    assert_eq!(
        serde_json::to_value(Outcome::from(failure)).unwrap()["missing"],
        serde_json::json!(["Points"])
    );
}

#[test]
fn a_partial_feed_may_allow_missing_properties() {
    assert_eq!(
        render(DEBITED_WITHOUT_POINTS, "-{{ Event.Points }} points"),
        "- points"
    );
}

#[test]
fn a_key_close_to_a_schema_name_is_a_warning_with_the_suggestion() {
    let line = r#"{"evtName": "CT Points Debited", "evtData": {"Wallet Id": "w-1", "Source": "API", "Transaction Id": "t-1", "points": 4, "Pionts": 4, "tier": "gold", "Soruce": "x"}}"#;
    let env = promo::environment(&Settings::default());
    let message =
        Message::from_template("t.liquid", "-{{ Event.Points }} {{ Event.Pionts }}", &env).unwrap();
    let record = Record::parse(line, &Settings::default().record_options()).unwrap();
    let Outcome::Rendered {
        fields, warnings, ..
    } = message.render(&record)
    else {
        panic!()
    };
    // Still rendered, and the key is still there as a custom property.
    assert_eq!(fields["text"], "-4 4");
    assert_eq!(
        warnings,
        [
            Warning::UnknownProperty {
                property: "Pionts".into(),
                suggestion: "Points"
            },
            Warning::UnknownProperty {
                property: "Soruce".into(),
                suggestion: "Source"
            },
        ]
    );
    assert_eq!(
        warnings[0].to_string(),
        "property \"Pionts\" is not in the schema (kept as a custom property); did you mean \"Points\"?"
    );
}

/// A partner voucher in CleverTap's current names and the same voucher in the spec's
/// names (with our names for what the spec lacks).
const VOUCHER_CURRENT: &str = r#"{"identity": "u-7", "evtName": "CT Partner Voucher Rewarded",
  "evtData": {"voucherCode": "AMZ-7K2Q-500", "voucherListId": "vl_amazon_nov", "partner": "Amazon Pay",
    "listDescription": "Rs 500 on Amazon Pay", "listTag": "amazon_pay", "listExpiry": "30-11-2026 23:59:59",
    "campaignId": "cmp_diwali", "source": "Campaign", "eventTimestamp": 1793865600}}"#;
const VOUCHER_SPEC: &str = r#"{"identity": "u-7", "evtName": "CT Partner Voucher Rewarded",
  "evtData": {"Voucher Code": "AMZ-7K2Q-500", "Voucher List Id": "vl_amazon_nov", "Code Provider": "Amazon Pay",
    "Code Description": "Rs 500 on Amazon Pay", "Code Snippet Name": "amazon_pay", "Voucher Expiry Date": "30-11-2026 23:59:59",
    "Campaign Id": "cmp_diwali", "Source": "Campaign", "Event Timestamp": 1793865600}}"#;

#[test]
fn a_voucher_in_clevertap_current_names_renders_as_in_the_spec_names() {
    let template = "{{ Event['Code Provider'] }} {{ Event['Voucher Code'] }} ({{ Event.code_description }}) \
        from {{ Event['Voucher List Id'] }} via {{ Event['Code Snippet Name'] }} for {{ Event['Campaign Id'] }}/{{ Event.Source }}, \
        valid till {{ Event['Voucher Expiry Date'] | date: '%-d %b %Y' }}, sent {{ Event['Event Timestamp'] | date: '%-d %b' }}";
    let strict = Settings {
        strict: true,
        ..Settings::default()
    };
    let current = render_with(strict, VOUCHER_CURRENT, template);
    assert_eq!(
        current,
        "Amazon Pay AMZ-7K2Q-500 (Rs 500 on Amazon Pay) from vl_amazon_nov via amazon_pay \
         for cmp_diwali/Campaign, valid till 30 Nov 2026, sent 5 Nov"
    );
    assert_eq!(render_with(strict, VOUCHER_SPEC, template), current);
}

#[test]
fn a_voucher_record_in_either_naming_passes_the_required_properties() {
    let options = Settings::default().record_options();
    for line in [VOUCHER_CURRENT, VOUCHER_SPEC] {
        let record = Record::parse(line, &options).unwrap();
        assert_eq!(
            record.ts,
            Some(1793865600),
            "eventTimestamp is the record's time"
        );
    }
    // Without the three both namings share, it fails naming them.
    assert_eq!(
        parse_error(
            r#"{"evtName": "CT Partner Voucher Rewarded", "evtData": {"voucherCode": "X", "campaignId": "c", "source": "API", "voucherListId": "v"}}"#
        ),
        "missing required properties of \"CT Partner Voucher Rewarded\": \"Code Provider\", \"Code Snippet Name\""
    );
    // One property in both namings at once is refused, as for camelCase.
    assert_eq!(
        parse_error(
            r#"{"evtName": "CT Partner Voucher Rewarded", "evtData": {"partner": "A", "Code Provider": "B"}}"#
        ),
        "property \"Code Provider\" is given twice, as \"partner\" and as \"Code Provider\""
    );
}
