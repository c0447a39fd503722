//! Hostile templates that are easier to build in code than to write in a fixture: each
//! must end in its typed error, never a panic or a stack overflow.

use promo_liquid::liquid::{Environment, ErrorKind, MemoryLoader};

#[test]
fn ten_thousand_nested_ifs_are_a_limit_error() {
    let source = format!(
        "{}x{}",
        "{% if true %}".repeat(10_000),
        "{% endif %}".repeat(10_000)
    );
    let err = Environment::new().compile("deep", &source).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert!(
        err.to_string()
            .contains("nested deeper than the limit of 100"),
        "{err}"
    );
}

#[test]
fn ten_thousand_nested_brackets_are_a_limit_error() {
    let source = format!("{{{{ a{}0{} }}}}", "[".repeat(10_000), "]".repeat(10_000));
    let err = Environment::new().compile("deep", &source).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn a_long_chain_of_ands_neither_recurses_nor_overflows() {
    let source = format!(
        "{{% if true{} %}}yes{{% endif %}}",
        " and true".repeat(50_000)
    );
    let template = Environment::new().compile("chain", &source).unwrap();
    let (text, _) = template.render_to_string(&()).unwrap();
    assert_eq!(text, "yes");
}

#[test]
fn partials_that_include_each_other_stop_at_the_partial_depth() {
    let mut env = Environment::new();
    env.set_loader(MemoryLoader::from_iter([
        ("ping", "{% include 'pong' %}"),
        ("pong", "{% include 'ping' %}"),
    ]));
    let template = env.compile("main", "{% include 'ping' %}").unwrap();
    let err = template.render_to_string(&()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn a_rendered_partial_that_renders_itself_stops_too() {
    let mut env = Environment::new();
    env.set_loader(MemoryLoader::from_iter([("self", "{% render 'self' %}")]));
    let template = env.compile("main", "{% render 'self' %}").unwrap();
    let err = template.render_to_string(&()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn nested_loops_cannot_run_without_bound() {
    let source = "{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}{% endfor %}{% endfor %}{% endfor %}";
    let template = Environment::new().compile("loops", source).unwrap();
    let err = template.render_to_string(&()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn templates_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<promo_liquid::liquid::Template>();
    assert_send_sync::<Environment>();
}

#[test]
fn a_template_at_the_depth_limit_renders_on_a_small_stack() {
    // 99 nested blocks, each in a loop, inside partials: the deepest render the default
    // limits allow must fit the 2 MiB stack of a test or worker thread.
    let source = format!(
        "{}x{}",
        "{% for i in (1..1) %}{% if true %}".repeat(49),
        "{% endif %}{% endfor %}".repeat(49)
    );
    let mut env = Environment::new();
    env.set_loader(MemoryLoader::from_iter([("deep", source.as_str())]));
    let template = env
        .compile("main", "{% if true %}{% include 'deep' %}{% endif %}")
        .unwrap();
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || template.render_to_string(&()).map(|(text, _)| text))
        .unwrap();
    assert_eq!(handle.join().unwrap().unwrap(), "x");
}
