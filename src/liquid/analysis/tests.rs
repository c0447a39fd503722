use super::*;
use crate::liquid::Environment;

fn analyze(source: &str) -> Analysis {
    Environment::new()
        .compile("t", source)
        .expect("it compiles")
        .analyze()
}

fn variable<'a>(a: &'a Analysis, text: &str) -> &'a Variable {
    a.variables
        .iter()
        .find(|v| v.text == text && !matches!(v.usage, Usage::Condition))
        .unwrap_or_else(|| panic!("no output of {text}"))
}

/// Each condition known at `text`, as `text` (held) or `!text` (failed).
fn known(a: &Analysis, text: &str) -> Vec<String> {
    variable(a, text)
        .conditions
        .iter()
        .map(|g| format!("{}{}", if g.holds { "" } else { "!" }, g.text))
        .collect()
}

#[test]
fn each_branch_knows_which_conditions_held_and_failed() {
    let a = analyze("{% if a %}{{ x }}{% elsif b %}{{ y }}{% else %}{{ z }}{% endif %}{{ w }}");
    assert_eq!(known(&a, "x"), ["a"]);
    assert_eq!(known(&a, "y"), ["!a", "b"]);
    assert_eq!(known(&a, "z"), ["!a", "!b"]);
    assert!(known(&a, "w").is_empty());
    let a = analyze("{% unless a %}{{ x }}{% elsif b %}{{ y }}{% else %}{{ z }}{% endunless %}");
    assert_eq!(known(&a, "x"), ["!a"]);
    assert_eq!(known(&a, "y"), ["a", "b"]);
    assert_eq!(known(&a, "z"), ["a", "!b"]);
}

#[test]
fn the_textual_guards_keep_their_meaning() {
    let a = analyze("{% if a %}{{ x }}{% elsif b %}{{ y }}{% else %}{{ z }}{% endif %}");
    assert_eq!(variable(&a, "x").guards, ["a"]);
    assert_eq!(variable(&a, "y").guards, ["a", "b"]);
    assert!(variable(&a, "z").guards.is_empty());
}

#[test]
fn an_if_that_aborts_proves_its_condition_failed_for_the_rest_of_the_block() {
    let a = analyze(
        "{% if a == blank %}{% abort %}{% elsif b %}{% abort %}{% elsif c %}ok{% endif %}{{ x }}\
         {% if d %}{% if e %}{% abort %}{% endif %}{{ y }}{% endif %}{{ z }}",
    );
    assert_eq!(known(&a, "x"), ["!a == blank", "!b"]);
    assert_eq!(known(&a, "y"), ["!a == blank", "!b", "d", "!e"]);
    assert_eq!(known(&a, "z"), ["!a == blank", "!b"]);
}

#[test]
fn a_default_argument_is_output_where_what_it_falls_back_from_is_missing() {
    let a = analyze("{{ a | default: b | upcase | default: c | size }}");
    let b = variable(&a, "b");
    assert_eq!(
        b.usage,
        Usage::Output {
            filters: vec!["upcase".into(), "default".into(), "size".into()],
            has_default: true,
            written: true,
        }
    );
    assert_eq!(known(&a, "b"), ["!a"]);
    assert_eq!(known(&a, "c"), ["!a", "!b"]);
    let names: Vec<&str> = variable(&a, "c").filters.iter().map(|f| &*f.name).collect();
    assert_eq!(names, ["size"]);
    let filters: Vec<&str> = variable(&a, "a").filters.iter().map(|f| &*f.name).collect();
    assert_eq!(filters, ["default", "upcase", "default", "size"]);
}

#[test]
fn aborts_under_false_conditions_or_after_a_stop_are_unreachable() {
    let a = analyze(
        "{% if false %}{% abort %}{% endif %}\
         {% unless true %}{% abort %}{% endunless %}\
         {% if 1 == 2 %}{% abort %}{% elsif nil %}{% abort %}{% endif %}\
         {% if true %}x{% elsif y %}{% abort %}{% else %}{% abort %}{% endif %}\
         {% case 1 %}{% when 2 %}{% abort %}{% when 1 %}{% abort 'ok' %}{% endcase %}\
         {% for i in list %}{% break %}{% abort %}{% endfor %}\
         {% if 'a' != 'a' or 3 < 2 %}{% abort %}{% endif %}\
         {% if x %}{% abort 'reachable' %}{% abort %}{% endif %}",
    );
    let reachable: Vec<bool> = a.abort_tags.iter().map(|t| t.reachable).collect();
    assert_eq!(
        reachable,
        [
            false, false, false, false, false, false, false, true, false, false, true, false
        ]
    );
    assert_eq!(a.aborts.len(), 12);
    assert!(!a.always_aborts);
}

#[test]
fn a_template_that_aborts_on_every_path() {
    for source in [
        "hi {% abort %}",
        "{% if x %}{% abort %}{% else %}{% abort 'other' %}{% endif %}",
        "{% unless x %}{% abort %}{% elsif y %}{% abort %}{% else %}{% abort %}{% endunless %}",
        "{% case x %}{% when 1 %}{% abort %}{% else %}{% abort %}{% endcase %}",
        "{% if true %}{% abort %}{% endif %}",
        "{% capture c %}{% abort %}{% endcapture %}",
    ] {
        assert!(analyze(source).always_aborts, "{source}");
    }
    for source in [
        "hi",
        "{% if x %}{% abort %}{% endif %}",
        "{% if x %}{% abort %}{% elsif y %}ok{% else %}{% abort %}{% endif %}",
        "{% case x %}{% when 1 %}{% abort %}{% endcase %}",
        "{% for i in list %}{% abort %}{% endfor %}",
        "{% if false %}{% abort %}{% endif %}",
        "{% for i in list %}{% break %}{% endfor %}",
    ] {
        assert!(!analyze(source).always_aborts, "{source}");
    }
}

#[test]
fn uses_in_dead_code_are_marked_unreachable() {
    let a = analyze("{% if false %}{{ x }}{% endif %}{% abort %}{{ y }}");
    assert!(!variable(&a, "x").reachable);
    assert!(!variable(&a, "y").reachable);
    let a = analyze("{% if z %}{{ x }}{% endif %}");
    assert!(variable(&a, "x").reachable);
}

#[test]
fn conditions_record_their_terms() {
    let a =
        analyze(r#"{% if Event["Coupon Code"] != blank and EventName == "x" %}{{ y }}{% endif %}"#);
    let guard = &variable(&a, "y").conditions[0];
    let key = |k: &str| PathPart::Key(k.to_owned());
    assert_eq!(
        guard.test.terms,
        [
            Term::Compare(
                Operand::Global(vec![key("Event"), key("Coupon Code")]),
                CompareOp::Ne,
                Operand::Literal(Literal::Blank)
            ),
            Term::Compare(
                Operand::Global(vec![key("EventName")]),
                CompareOp::Eq,
                Operand::Literal(Literal::Str("x".into()))
            ),
        ]
    );
    assert_eq!(guard.test.joins, [Logic::And]);
    // Names the template binds are not globals.
    let a = analyze("{% assign c = 1 %}{% if c %}{{ y }}{% endif %}");
    assert_eq!(
        variable(&a, "y").conditions[0].test.terms,
        [Term::Truthy(Operand::Other)]
    );
}

#[test]
fn a_long_condition_folds_without_recursion() {
    let chain = vec!["true"; 5000].join(" and ");
    let source = format!("{{% if {chain} or false %}}{{% abort %}}{{% endif %}}");
    let a = analyze(&source);
    assert!(a.always_aborts);
}

#[test]
fn line_index_agrees_with_line_col_of() {
    let source = "ab\ncdé\n\nf{{ x }}\n";
    let index = LineIndex::new(source);
    for offset in (0..=source.len()).filter(|o| source.is_char_boundary(*o)) {
        assert_eq!(
            index.at(source, offset),
            LineCol::of(source, offset),
            "{offset}"
        );
    }
}

#[test]
fn line_index_agrees_with_line_col_of_on_long_lines() {
    // Lines longer than the index's checkpoint stride, characters of 1 to 4 bytes
    // straddling the checkpoints, a line break past the first checkpoint.
    let mut source = "aé€😀".repeat(700);
    source.push('\n');
    source.push_str(&"x{{ y }}é".repeat(400));
    source.push_str("\n\n");
    source.push_str(&"😀".repeat(600));
    let index = LineIndex::new(&source);
    for offset in 0..=source.len() + 2 {
        assert_eq!(
            index.at(&source, offset),
            LineCol::of(&source, offset),
            "{offset}"
        );
    }
}

#[test]
fn partial_tags_are_listed_with_their_names_arguments_and_places() {
    let a = analyze(
        "{% render 'card', who: 'Asha', n: Event.Points %}\n\
         {% for o in orders %}{% snippet Event[\"Code Snippet Name\"] or \"generic\", item: o %}{% endfor %}\n\
         {% if false %}{% include 'old' with x as y %}{% endif %}",
    );
    let [render, snippet, include] = &a.partials[..] else {
        panic!("{:?}", a.partials)
    };
    assert_eq!(
        (render.tag, render.name.as_deref()),
        ("render", Some("card"))
    );
    assert_eq!(render.at, LineCol { line: 1, col: 1 });
    let args: Vec<(&str, &Operand, LineCol)> = render
        .args
        .iter()
        .map(|a| (a.name.as_str(), &a.value, a.at))
        .collect();
    assert_eq!(
        args,
        [
            (
                "who",
                &Operand::Literal(Literal::Str("Asha".into())),
                LineCol { line: 1, col: 19 }
            ),
            (
                "n",
                &Operand::Global(vec![
                    PathPart::Key("Event".into()),
                    PathPart::Key("Points".into())
                ]),
                LineCol { line: 1, col: 32 }
            ),
        ]
    );
    assert_eq!((snippet.tag, snippet.name.as_deref()), ("snippet", None));
    assert_eq!(snippet.name_text, "Event[\"Code Snippet Name\"]");
    assert_eq!(
        snippet.source,
        Operand::Global(vec![
            PathPart::Key("Event".into()),
            PathPart::Key("Code Snippet Name".into())
        ])
    );
    let fallback = snippet.fallback.as_ref().unwrap();
    assert_eq!(fallback.name, "generic");
    assert_eq!(fallback.at, LineCol { line: 2, col: 63 });
    assert_eq!(snippet.args[0].value, Operand::Other, "a loop variable");
    assert!(snippet.reachable);
    assert_eq!(include.args[0].name, "y");
    assert!(!include.reachable);
}
