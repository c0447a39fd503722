use super::load::html_tag;
use super::*;
use crate::message::{FailureKind, Message, Outcome};
use crate::promo::record::Record;
use crate::promo::{self, Settings};

fn env() -> Environment {
    promo::environment(&Settings::default())
}

fn library(sources: Vec<SnippetSource>) -> Arc<Library> {
    let (library, problems) = Library::build(sources, &env());
    let problems: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    Arc::new(library)
}

fn problems(sources: Vec<SnippetSource>) -> Vec<String> {
    let (_, problems) = Library::build(sources, &env());
    problems.iter().map(|p| p.to_string()).collect()
}

const CODE: &str = "[params]\ncode = { type = \"string\", required = true }\n";

fn vouchers() -> Arc<Library> {
    library(vec![
        SnippetSource::new("amazon_pay", "Amazon Pay: {{ code }}\n").with_sidecar(CODE),
        SnippetSource::new("swiggy", "Swiggy: {{ code }} ({{ note }})").with_sidecar(
            "channels = [\"push\", \"sms\"]\n[params]\ncode = { type = \"string\", required = true }\nnote = { type = \"string\", default = \"on your next order\" }",
        ),
        SnippetSource::new("banner", "<table><tr><td>{{ code }}</td></tr></table>")
            .with_sidecar("channels = [\"email\"]\n[params]\ncode = \"string\""),
    ])
}

fn voucher(tag: &str) -> String {
    format!(
        r#"{{"evtName": "CT Partner Voucher Rewarded", "evtData": {{"listTag": "{tag}",
        "voucherCode": "V-1", "partner": "P", "voucherListId": "vl", "campaignId": "c", "source": "API"}}}}"#
    )
}

fn render(message: &Message, line: &str) -> Outcome {
    let record = Record::parse(line, &Settings::default().record_options()).unwrap();
    message.render(&record)
}

fn sms(body: &str, library: &Arc<Library>) -> Result<Message, crate::message::MessageError> {
    let text = format!(
        "event = \"CT Partner Voucher Rewarded\"\nchannel = \"sms\"\n[fields]\nbody = '''{body}'''\n"
    );
    Message::from_toml_with("v.sms.toml", &text, &env(), Some(library))
}

#[test]
fn a_name_from_the_record_picks_the_snippet_and_the_outcome_names_its_hash() {
    let library = vouchers();
    let message = sms(
        "{% snippet Event['Code Snippet Name'], code: Event['Voucher Code'] %}",
        &library,
    )
    .unwrap();
    let Outcome::Rendered {
        fields, snippets, ..
    } = render(&message, &voucher("swiggy"))
    else {
        panic!()
    };
    assert_eq!(fields["body"], "Swiggy: V-1 (on your next order)");
    let hash = library.get("swiggy").unwrap().hash();
    assert_eq!(snippets.len(), 1);
    assert_eq!(&*snippets["swiggy"], hash);
    assert_eq!(hash.len(), 16);
    // The final newline of a snippet file is not part of the snippet.
    let Outcome::Rendered { fields, .. } = render(&message, &voucher("amazon_pay")) else {
        panic!()
    };
    assert_eq!(fields["body"], "Amazon Pay: V-1");
}

#[test]
fn a_name_with_no_snippet_fails_missing_snippet_unless_there_is_a_fallback() {
    let library = vouchers();
    let message = sms("{% snippet Event.code_snippet_name, code: 'X' %}", &library).unwrap();
    let outcome = render(&message, &voucher("amazon-pay"));
    let failure = outcome.failure().expect("failed");
    assert_eq!(failure.kind, FailureKind::MissingSnippet);
    assert_eq!(failure.message, "no snippet named \"amazon-pay\"");
    assert_eq!(
        failure.help.as_deref(),
        Some("did you mean \"amazon_pay\"?")
    );
    assert_eq!(failure.field.as_deref(), Some("body"));
    // A snippet for other channels is not for this message.
    let failure = render(&message, &voucher("banner"))
        .failure()
        .cloned()
        .unwrap();
    assert_eq!(failure.kind, FailureKind::MissingSnippet);
    assert_eq!(
        failure.help.as_deref(),
        Some("snippet \"banner\" is for email messages, not sms")
    );
    let message = sms(
        "{% snippet Event.code_snippet_name or 'amazon_pay', code: 'X' %}",
        &library,
    )
    .unwrap();
    let Outcome::Rendered { fields, .. } = render(&message, &voucher("nope")) else {
        panic!()
    };
    assert_eq!(fields["body"], "Amazon Pay: X");
}

#[test]
fn a_message_naming_a_snippet_it_cannot_render_does_not_load() {
    let library = vouchers();
    let errors = |body: &str| -> Vec<String> {
        sms(body, &library)
            .unwrap_err()
            .problems()
            .iter()
            .map(|p| format!("{} {}: {}", p.kind, p.at.unwrap(), p.message))
            .collect()
    };
    assert_eq!(
        errors("{% render 'amazon', code: 'x' %}"),
        ["missing_snippet 4:11: no snippet named \"amazon\" in the library"]
    );
    assert_eq!(
        errors("{% render 'banner', code: 'x' %}"),
        ["missing_snippet 4:11: snippet \"banner\" is for email messages, not sms"]
    );
    assert_eq!(
        errors("x {% render 'swiggy' %} {% render 'swiggy', code: 1, cod: 2 %}"),
        [
            "invalid_message 4:13: snippet \"swiggy\" needs `code` (string), which this call does not pass",
            "invalid_message 4:64: snippet \"swiggy\" has no parameter `cod`",
        ]
    );
}

#[test]
fn a_library_reports_every_problem_in_place() {
    let found = problems(vec![
        SnippetSource::new("a", "{{ code }} {{ Event.Points }}").with_sidecar(CODE),
        SnippetSource::new("b", "{% render 'c' %}"),
        SnippetSource::new("c", "{% render 'b' %}"),
        SnippetSource::new("d", "{% if %}"),
        SnippetSource::new("e f", "x"),
    ]);
    assert_eq!(
        found,
        [
            "d.liquid:1:1: \"if\" is never closed: expected \"{% endif %}\"",
            "d.liquid:1:7: expected a value, found the end of the markup",
            "e f.liquid: \"e f\" cannot be a snippet's name; name snippets with letters, digits, `_`, `-` and `.`",
            "a.liquid:1:15: `Event` is read but is not a parameter of snippet \"a\"; a snippet sees only what it is passed: pass what it needs (`{% render 'a', code: Event[\"Voucher Code\"] %}`) and declare it in a.toml",
            "b.liquid:1:1: snippets render each other in a cycle: b → c → b; a snippet may not render itself, directly or through others",
        ]
    );
}

#[test]
fn a_message_rendering_a_chain_deeper_than_the_limit_does_not_load() {
    let library = library(vec![
        SnippetSource::new("a", "a{% render 'b' %}"),
        SnippetSource::new("b", "b{% render 'c' %}"),
        SnippetSource::new("c", "c{% render 'd' %}"),
        SnippetSource::new("d", "d"),
    ]);
    let error = sms("{% render 'a' %}", &library).unwrap_err();
    let p = &error.problems()[0];
    assert_eq!(p.kind, FailureKind::LimitExceeded);
    assert_eq!(
        p.message,
        "snippets nested deeper than the limit of 3: a → b → c → d"
    );
    // Three deep is the limit.
    let message = sms("{% render 'b' %}", &library).unwrap();
    let Outcome::Rendered { fields, .. } = render(&message, &voucher("x")) else {
        panic!()
    };
    assert_eq!(fields["body"], "bcd");
}

#[test]
fn the_pin_covers_what_a_message_can_reach() {
    let library = vouchers();
    let literal = sms("{% render 'amazon_pay', code: 'x' %}", &library).unwrap();
    let pin = literal.snippet_pin().unwrap();
    assert_eq!(pin.snippets.keys().collect::<Vec<_>>(), ["amazon_pay"]);
    let dynamic = sms("{% snippet Event.code_snippet_name, code: 'x' %}", &library).unwrap();
    let pin = dynamic.snippet_pin().unwrap();
    // Not `banner`: it is for email.
    assert_eq!(
        pin.snippets.keys().collect::<Vec<_>>(),
        ["amazon_pay", "swiggy"]
    );
    // A changed snippet changes the pin.
    let changed = library_with_amazon("Amazon Pay! {{ code }}");
    let again = sms("{% snippet Event.code_snippet_name, code: 'x' %}", &changed).unwrap();
    assert_ne!(again.snippet_pin().unwrap().hash, pin.hash);
    assert_eq!(
        again.snippet_pin().unwrap().snippets["swiggy"],
        pin.snippets["swiggy"]
    );
}

fn library_with_amazon(text: &str) -> Arc<Library> {
    library(vec![
        SnippetSource::new("amazon_pay", text).with_sidecar(CODE),
        SnippetSource::new("swiggy", "Swiggy: {{ code }} ({{ note }})").with_sidecar(
            "channels = [\"push\", \"sms\"]\n[params]\ncode = { type = \"string\", required = true }\nnote = { type = \"string\", default = \"on your next order\" }",
        ),
    ])
}

#[test]
fn without_declared_parameters_a_snippet_takes_what_it_reads() {
    // `Profile` is no parameter: a snippet cannot see the record.
    let found = problems(vec![SnippetSource::new(
        "hi",
        "Hi {{ who }}{{ Profile.Name }}",
    )]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`Profile` is read but is not a parameter"));
    let library = Arc::new(
        Library::build(
            [SnippetSource::new("hi", "Hi {{ who }}").with_sidecar("channels = [\"sms\"]")],
            &env(),
        )
        .0,
    );
    let params: Vec<&String> = library.get("hi").unwrap().meta().params.keys().collect();
    assert_eq!(params, ["who"]);
    let errors = sms("{% render 'hi', whom: 'x' %}", &library).unwrap_err();
    assert_eq!(
        errors.problems()[0].message,
        "snippet \"hi\" has no parameter `whom`"
    );
    let message = sms("{% render 'hi', who: 'Asha' %}", &library).unwrap();
    let Outcome::Rendered { fields, .. } = render(&message, &voucher("x")) else {
        panic!()
    };
    assert_eq!(fields["body"], "Hi Asha");
}

#[test]
fn html_tags_are_found_outside_liquid() {
    assert_eq!(html_tag("a <b>bold</b>").as_deref(), Some("<b>"));
    assert_eq!(html_tag("{% if a < b %}x{% endif %} <3").as_deref(), None);
    assert_eq!(
        html_tag("<table class=\"x\">").as_deref(),
        Some("<table class=\"x\">")
    );
}

#[test]
fn an_undefined_value_in_a_snippet_is_a_warning_placed_in_the_snippet() {
    let library = library(vec![
        SnippetSource::new("line", "Code {{ code }}{{ note }}")
            .with_sidecar("[params]\ncode = \"string\"\nnote = \"string\""),
    ]);
    let message = sms("{% render 'line', code: 'X' %}", &library).unwrap();
    let Outcome::Rendered {
        fields, warnings, ..
    } = render(&message, &voucher("line"))
    else {
        panic!()
    };
    assert_eq!(fields["body"], "Code X");
    assert_eq!(
        warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        ["`note` is undefined and rendered as nothing at line.liquid:1:19 (field body)"]
    );
}

#[test]
fn the_render_budget_counts_the_work_inside_snippets() {
    let library = library(vec![
        SnippetSource::new(
            "grow",
            "{% assign s = 'ab' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s.size }}",
        ),
        SnippetSource::new("spin", "{% for i in (1..600000) %}{% endfor %}"),
    ]);
    for (body, limit) in [
        ("{% render 'grow' %}", "string size limit"),
        (
            "{% render 'spin' %}{% render 'spin' %}",
            "iterations in one render",
        ),
    ] {
        let message = sms(body, &library).unwrap();
        let failure = render(&message, &voucher("x")).failure().cloned().unwrap();
        assert_eq!(failure.kind, FailureKind::LimitExceeded, "{body}");
        assert!(failure.message.contains(limit), "{}", failure.message);
        assert_eq!(
            failure.file.as_deref(),
            Some(if body.contains("grow") {
                "grow.liquid"
            } else {
                "spin.liquid"
            })
        );
    }
}
