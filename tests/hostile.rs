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

#[test]
fn a_render_that_runs_too_long_stops_at_its_deadline() {
    let mut env = Environment::new();
    env.limits_mut().max_iterations = u64::MAX;
    env.limits_mut().deadline = Some(std::time::Duration::from_millis(50));
    let source = "{% for a in (1..1000000) %}{% for b in (1..1000000) %}{% endfor %}{% endfor %}";
    let template = env.compile("slow", source).unwrap();
    let started = std::time::Instant::now();
    let err = template.render_to_string(&()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert!(err.message().contains("deadline of 50 ms"), "{err}");
    // Generous: the machine may be busy, but not seconds busy.
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_deadline_given_by_the_caller_is_kept() {
    let mut env = Environment::new();
    env.limits_mut().max_iterations = u64::MAX;
    let template = env
        .compile("slow", "{% for a in (1..1000000) %}{{ a }}{% endfor %}")
        .unwrap();
    let mut out = String::new();
    let err = template
        .render_until(&(), &mut out, std::time::Instant::now())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert!(err.message().contains("deadline"), "{err}");
}

#[test]
fn without_a_deadline_a_long_render_finishes() {
    let mut env = Environment::new();
    env.limits_mut().deadline = None;
    let template = env
        .compile("long", "{% for a in (1..200000) %}{% endfor %}done")
        .unwrap();
    assert_eq!(template.render_to_string(&()).unwrap().0, "done");
}
