//! The template generator: marketing-style Liquid from a seed.
//!
//! Each template is a few statements of text and Liquid over the globals of a promo
//! record ([`super::data`]): every standard tag (loops with every option, `tablerow`,
//! `case`, `capture`, `cycle`, `ifchanged`, `raw`, comments, `liquid`, `echo`, counters,
//! `include` and `render` of a few partials), every standard filter with arguments of
//! fitting and unfitting types, comparisons between values of every type joined by
//! `and`/`or`, and whitespace control on any tag. Paths mostly reach data that is there
//! (spelt with dots or brackets, indexes from either end), sometimes not.

use serde_json::Value as Json;

use super::data::{self, TEXTS, World};
use super::rng::Rng;

/// One generated test case.
#[derive(Clone, Debug)]
pub struct Case {
    /// The template.
    pub template: String,
    /// The globals, as JSON.
    pub data: Json,
    /// Partials by name, for `include` and `render`.
    pub partials: Vec<(String, String)>,
}

/// The partials every case may use. `render` sees only its arguments, `include` sees
/// everything.
pub const PARTIALS: &[(&str, &str)] = &[
    (
        "greeting",
        "Hi {{ Profile.Name | default: 'there' }}{% if name %} ({{ name }}){% endif %}!",
    ),
    (
        "item",
        "[{{ item }}{% if forloop %}:{{ forloop.index }}/{{ forloop.length }}{% endif %}]",
    ),
    (
        "order",
        "{{ order['Order Id'] }}={{ order.amount | default: 0 | plus: 1 }}{% assign seen = true %};",
    ),
];

/// Case `index` of the run seeded with `seed`.
pub fn case(seed: u64, index: u64) -> Case {
    let mut rng = Rng::new(seed, index);
    let world = data::world(&mut rng);
    let mut g = Gen {
        rng,
        world,
        loops: Vec::new(),
        assigned: Vec::new(),
        out: String::new(),
        depth: 0,
    };
    let n = 2 + g.rng.below(7);
    for _ in 0..n {
        g.statement();
    }
    Case {
        template: g.out,
        data: g.world.data,
        partials: PARTIALS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

struct Loop {
    var: String,
    /// An item of the collection, to reach into.
    sample: Json,
    tablerow: bool,
}

struct Gen {
    rng: Rng,
    world: World,
    loops: Vec<Loop>,
    assigned: Vec<String>,
    out: String,
    depth: usize,
}

const PHRASES: &[&str] = &[
    "Hi ",
    ", your coupon ",
    " is ready!",
    "\n",
    " ",
    "  ",
    "\n\n",
    " \n  ",
    "🎉 ",
    "नमस्ते ",
    "Points: ",
    " pts",
    "<p>",
    "</p>",
    "Use it by ",
    ".",
    "—",
    "\t",
    "Dear customer",
    " | ",
];

const NAMES: &[&str] = &[
    "greeting",
    "total",
    "label",
    "items",
    "n",
    "msg",
    "first_name",
    "empty_cart",
    "nil_count",
    "blank_ok",
    "forloop_x",
    "Tier",
];

const KEYS: &[&str] = &[
    "amount", "status", "Order Id", "items", "date", "gift", "City", "Pin", "missing", "push",
];

const FORMATS: &[&str] = &[
    "%d %b %Y",
    "%-d %B",
    "%H:%M",
    "%Y-%m-%d",
    "%a, %e %b",
    "%s",
    "%j",
    "%I:%M %p",
    "%%",
    "%A %-m/%-d/%y",
    "%b %d, %Y %l:%M",
    "",
];

#[derive(Clone, Copy)]
enum Arg {
    Str,
    Int,
    Num,
    Key,
    Any,
    List,
    Format,
}

use Arg::*;

/// What a filter takes or gives, roughly: enough to make most chains sensible while
/// some are not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    List,
    /// A date's text or a timestamp: what `date` is for.
    Date,
    Any,
}

use Kind::{Any as AnyKind, Date as DateKind, List as ListKind, Num as NumKind, Str as StrKind};

/// Every standard filter of Shopify Liquid 5.4: its name, the kind of input it is
/// for, its arguments (`optional` says how many of the trailing ones may be left out),
/// and the kind it gives.
const FILTERS: &[(&str, Kind, &[Arg], usize, Kind)] = &[
    ("append", StrKind, &[Str], 0, StrKind),
    ("prepend", StrKind, &[Str], 0, StrKind),
    ("capitalize", StrKind, &[], 0, StrKind),
    ("downcase", StrKind, &[], 0, StrKind),
    ("upcase", StrKind, &[], 0, StrKind),
    ("escape", StrKind, &[], 0, StrKind),
    ("escape_once", StrKind, &[], 0, StrKind),
    ("lstrip", StrKind, &[], 0, StrKind),
    ("rstrip", StrKind, &[], 0, StrKind),
    ("strip", StrKind, &[], 0, StrKind),
    ("strip_html", StrKind, &[], 0, StrKind),
    ("strip_newlines", StrKind, &[], 0, StrKind),
    ("newline_to_br", StrKind, &[], 0, StrKind),
    ("remove", StrKind, &[Str], 0, StrKind),
    ("remove_first", StrKind, &[Str], 0, StrKind),
    ("remove_last", StrKind, &[Str], 0, StrKind),
    ("replace", StrKind, &[Str, Str], 1, StrKind),
    ("replace_first", StrKind, &[Str, Str], 1, StrKind),
    ("replace_last", StrKind, &[Str, Str], 0, StrKind),
    ("slice", StrKind, &[Int, Int], 1, StrKind),
    ("split", StrKind, &[Str], 0, ListKind),
    ("truncate", StrKind, &[Int, Str], 2, StrKind),
    ("truncatewords", StrKind, &[Int, Str], 2, StrKind),
    ("url_encode", StrKind, &[], 0, StrKind),
    ("url_decode", StrKind, &[], 0, StrKind),
    ("base64_encode", StrKind, &[], 0, StrKind),
    ("base64_decode", StrKind, &[], 0, StrKind),
    ("base64_url_safe_encode", StrKind, &[], 0, StrKind),
    ("base64_url_safe_decode", StrKind, &[], 0, StrKind),
    ("size", StrKind, &[], 0, NumKind),
    ("size", ListKind, &[], 0, NumKind),
    ("abs", NumKind, &[], 0, NumKind),
    ("plus", NumKind, &[Num], 0, NumKind),
    ("minus", NumKind, &[Num], 0, NumKind),
    ("times", NumKind, &[Num], 0, NumKind),
    ("divided_by", NumKind, &[Num], 0, NumKind),
    ("modulo", NumKind, &[Num], 0, NumKind),
    ("round", NumKind, &[Int], 1, NumKind),
    ("ceil", NumKind, &[], 0, NumKind),
    ("floor", NumKind, &[], 0, NumKind),
    ("at_least", NumKind, &[Num], 0, NumKind),
    ("at_most", NumKind, &[Num], 0, NumKind),
    ("join", ListKind, &[Str], 1, StrKind),
    ("first", ListKind, &[], 0, AnyKind),
    ("last", ListKind, &[], 0, AnyKind),
    ("reverse", ListKind, &[], 0, ListKind),
    ("sort", ListKind, &[Key], 1, ListKind),
    ("sort_natural", ListKind, &[Key], 1, ListKind),
    ("uniq", ListKind, &[Key], 1, ListKind),
    ("compact", ListKind, &[Key], 1, ListKind),
    ("map", ListKind, &[Key], 0, ListKind),
    ("where", ListKind, &[Key, Any], 1, ListKind),
    ("concat", ListKind, &[List], 0, ListKind),
    ("default", AnyKind, &[Any], 0, AnyKind),
    ("date", DateKind, &[Format], 0, StrKind),
];

impl Gen {
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len())]
    }

    fn chance(&mut self, n: usize) -> bool {
        self.rng.one_in(n)
    }

    /// `{%` or `{%-`, and the same for the end.
    fn open(&mut self, output: bool) -> &'static str {
        match (output, self.chance(5)) {
            (true, true) => "{{-",
            (true, false) => "{{",
            (false, true) => "{%-",
            (false, false) => "{%",
        }
    }

    fn close(&mut self, output: bool) -> &'static str {
        match (output, self.chance(5)) {
            (true, true) => "-}}",
            (true, false) => "}}",
            (false, true) => "-%}",
            (false, false) => "%}",
        }
    }

    fn tag(&mut self, markup: &str) {
        let (open, close) = (self.open(false), self.close(false));
        self.out.push_str(&format!("{open} {markup} {close}"));
    }

    fn block(&mut self) {
        self.depth += 1;
        let n = if self.depth > 3 {
            self.rng.below(2)
        } else {
            1 + self.rng.below(3)
        };
        for _ in 0..n {
            self.statement();
        }
        self.depth -= 1;
    }

    fn statement(&mut self) {
        let deep = self.depth >= 3;
        let in_loop = !self.loops.is_empty();
        match self.rng.below(if deep { 8 } else { 30 }) {
            0..=2 => self.text(),
            3..=5 => self.output(),
            6 => self.assign(),
            // Shopify lets `break` and `continue` leak out of a tablerow (a listed
            // deviation): rarely there.
            7 if in_loop
                && self.chance(2)
                && (!self.loops.last().is_some_and(|l| l.tablerow) || self.chance(10)) =>
            {
                let word = self.pick(&["break", "continue"]);
                self.tag(word);
            }
            7 => self.counter(),
            8..=10 => self.if_tag(),
            11 => self.unless_tag(),
            12 => self.case_tag(),
            13..=15 => self.for_tag(),
            16 => self.tablerow_tag(),
            17 => self.capture_tag(),
            18 => self.cycle_tag(),
            19 => self.ifchanged_tag(),
            20 => self.comment_tag(),
            21 => self.raw_tag(),
            22 => self.echo_tag(),
            23 => self.liquid_tag(),
            24 => self.partial_tag(),
            25 => {
                let e = self.expr();
                self.tag(&format!("# a note about {e}"));
            }
            _ => self.output(),
        }
    }

    fn text(&mut self) {
        let n = 1 + self.rng.below(3);
        for _ in 0..n {
            let phrase = self.pick(PHRASES);
            self.out.push_str(phrase);
        }
    }

    fn output(&mut self) {
        let e = self.filtered();
        let (open, close) = (self.open(true), self.close(true));
        self.out.push_str(&format!("{open} {e} {close}"));
    }

    fn assign(&mut self) {
        let name = self.pick(NAMES).to_owned();
        let e = self.filtered();
        self.tag(&format!("assign {name} = {e}"));
        self.assigned.push(name);
    }

    fn counter(&mut self) {
        let word = self.pick(&["increment", "decrement"]);
        let name = self.pick(&["count", "n", "visits"]);
        self.tag(&format!("{word} {name}"));
    }

    fn if_tag(&mut self) {
        let c = self.condition();
        self.tag(&format!("if {c}"));
        self.block();
        for _ in 0..self.rng.below(3) {
            let c = self.condition();
            self.tag(&format!("elsif {c}"));
            self.block();
        }
        if self.chance(2) {
            self.tag("else");
            self.block();
        }
        self.tag("endif");
    }

    fn unless_tag(&mut self) {
        let c = self.condition();
        self.tag(&format!("unless {c}"));
        self.block();
        if self.chance(3) {
            self.tag("else");
            self.block();
        }
        self.tag("endunless");
    }

    fn case_tag(&mut self) {
        let subject = self.expr();
        self.tag(&format!("case {subject}"));
        if self.chance(4) {
            self.text();
        }
        for _ in 0..1 + self.rng.below(3) {
            let mut values = vec![self.value_like()];
            for _ in 0..self.rng.below(3) {
                let sep = self.pick(&[", ", " or ", ","]);
                values.push(format!("{sep}{}", self.value_like()));
            }
            self.tag(&format!("when {}", values.concat()));
            self.block();
        }
        if self.chance(2) {
            self.tag("else");
            self.block();
        }
        self.tag("endcase");
    }

    /// A collection to loop over, and an item of it.
    fn collection(&mut self) -> (String, Json) {
        match self.rng.below(10) {
            0..=4 => {
                let lists: Vec<(String, Json)> = self
                    .world
                    .paths
                    .iter()
                    .filter(|(_, v)| v.is_array() || (v.is_object() && self.rng.one_in(3)))
                    .cloned()
                    .collect();
                match lists.is_empty() {
                    true => ("Profile.Tags".into(), Json::Null),
                    false => {
                        let (path, value) = lists[self.rng.below(lists.len())].clone();
                        let sample = match &value {
                            Json::Array(items) => items.first().cloned().unwrap_or(Json::Null),
                            _ => Json::Null,
                        };
                        (path, sample)
                    }
                }
            }
            5..=6 => {
                let a = self.rng.range(-2, 4);
                // Small ends only: loops nest, and their lengths multiply.
                let b = match self.rng.below(6) {
                    0 => {
                        let path = self.path_to(|v| v.as_str().is_some_and(|s| s.len() < 4));
                        // Shopify does not read a key with a space in a range (listed).
                        if path.contains(' ') && !self.chance(10) {
                            "3".into()
                        } else {
                            path
                        }
                    }
                    1 => "Profile.Tags.size".into(),
                    // Shopify does not read this as a range (a listed deviation): rarely.
                    2 if self.chance(5) => "Profile[\"Recent Orders\"].size".into(),
                    _ => self.rng.range(-1, 7).to_string(),
                };
                (format!("({a}..{b})"), Json::from(1))
            }
            7 => {
                let var = self.assigned_or_path();
                (var, Json::Null)
            }
            8 => (self.path_to(|v| v.is_string()), Json::Null),
            _ => ("Profile.Missing".into(), Json::Null),
        }
    }

    fn loop_options(&mut self, tablerow: bool) -> String {
        let mut options = String::new();
        if !tablerow && self.chance(4) {
            options.push_str(" reversed");
        }
        let mut attributes = Vec::new();
        if tablerow && self.chance(2) {
            attributes.push(format!("cols: {}", self.int_like(-1, 5)));
        }
        if self.chance(3) {
            attributes.push(format!("limit: {}", self.int_like(-1, 5)));
        }
        if self.chance(3) {
            let offset = if !tablerow && self.chance(3) {
                "continue".to_owned()
            } else {
                self.int_like(-1, 4)
            };
            attributes.push(format!("offset: {offset}"));
        }
        for a in attributes {
            let sep = self.pick(&[" ", ", "]);
            options.push_str(sep);
            options.push_str(&a);
        }
        options
    }

    fn for_tag(&mut self) {
        let var = self.pick(&["item", "order", "tag", "i", "pair"]).to_owned();
        let (collection, sample) = self.collection();
        let options = self.loop_options(false);
        self.tag(&format!("for {var} in {collection}{options}"));
        self.loops.push(Loop {
            var,
            sample,
            tablerow: false,
        });
        self.block();
        self.loops.pop();
        if self.chance(3) {
            self.tag("else");
            self.block();
        }
        self.tag("endfor");
    }

    fn tablerow_tag(&mut self) {
        let var = self.pick(&["item", "cell"]).to_owned();
        let (collection, sample) = self.collection();
        let options = self.loop_options(true);
        self.tag(&format!("tablerow {var} in {collection}{options}"));
        self.loops.push(Loop {
            var,
            sample,
            tablerow: true,
        });
        if self.chance(4) {
            let body = self.pick(&[" ", "\n", "  \n "]);
            self.out.push_str(body);
        } else {
            self.block();
        }
        self.loops.pop();
        self.tag("endtablerow");
    }

    fn capture_tag(&mut self) {
        let name = self.pick(NAMES).to_owned();
        self.tag(&format!("capture {name}"));
        if self.chance(4) {
            let body = self.pick(&["\n", " ", "\n\n"]);
            self.out.push_str(body);
        } else {
            self.block();
        }
        self.tag("endcapture");
        self.assigned.push(name);
    }

    fn cycle_tag(&mut self) {
        // Shopify drops nil values and splits quoted values at commas (listed
        // deviations): rarely.
        let mut values = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let value = self.value_like();
            let quirky = value == "nil" || (value.contains(',') && value.starts_with(['\'', '"']));
            if !quirky || self.chance(10) {
                values.push(value);
            }
        }
        if values.is_empty() {
            values.push("'a'".into());
        }
        let group = match self.rng.below(3) {
            0 => format!("{}: ", self.string_literal()),
            _ => String::new(),
        };
        self.tag(&format!("cycle {group}{}", values.join(", ")));
    }

    fn ifchanged_tag(&mut self) {
        self.tag("ifchanged");
        self.block();
        self.tag("endifchanged");
    }

    fn comment_tag(&mut self) {
        self.tag("comment");
        // Shopify 5.4 parses comment bodies (a listed deviation): rarely.
        if self.chance(50) {
            self.out.push_str("not {{ shown }} {% if x %}");
        } else {
            self.block();
        }
        self.tag("endcomment");
    }

    fn raw_tag(&mut self) {
        // Shopify 5.4 handles whitespace control around raw its own way (a listed
        // deviation): rarely, so that it does not crowd out the rest.
        let trim = self.chance(25);
        let (open, close) = match (trim, self.chance(2)) {
            (true, true) => ("{%-", "-%}"),
            (true, false) => ("{%", "-%}"),
            _ => ("{%", "%}"),
        };
        self.out.push_str(&format!("{open} raw {close}"));
        let body = self.pick(&[
            "{{ Profile.Name }}",
            " {% if %} ",
            "  raw text\n",
            "{{ 'a' | upcase }} {%- endif -%}",
        ]);
        self.out.push_str(body);
        let (open, close) = match (self.chance(25), self.chance(2)) {
            (true, true) => ("{%-", "%}"),
            (true, false) => ("{%", "-%}"),
            _ => ("{%", "%}"),
        };
        self.out.push_str(&format!("{open} endraw {close}"));
    }

    fn echo_tag(&mut self) {
        let e = self.filtered();
        self.tag(&format!("echo {e}"));
    }

    /// `{% liquid %}` with a few lines of tags.
    fn liquid_tag(&mut self) {
        let mut lines = Vec::new();
        let name = self.pick(NAMES);
        lines.push(format!("assign {name} = {}", self.filtered()));
        self.assigned.push(name.to_owned());
        match self.rng.below(3) {
            0 => {
                lines.push(format!("if {}", self.condition()));
                lines.push(format!("  echo {}", self.filtered()));
                lines.push("else".into());
                lines.push(format!("  echo {name}"));
                lines.push("endif".into());
            }
            1 => {
                let (collection, _) = self.collection();
                lines.push(format!("for x in {collection}"));
                lines.push("  echo x | append: ','".into());
                lines.push("endfor".into());
            }
            _ => {
                lines.push(format!("case {}", self.expr()));
                lines.push(format!("  when {}", self.value_like()));
                lines.push(format!("    echo {}", self.filtered()));
                lines.push("endcase".into());
            }
        }
        let sep = self.pick(&["\n", "\n  "]);
        self.tag(&format!("liquid{sep}{}", lines.join(sep)));
    }

    fn partial_tag(&mut self) {
        let markup = match self.rng.below(7) {
            0 => "include 'greeting'".to_owned(),
            1 => format!("render 'greeting', name: {}", self.expr()),
            2 => format!("include 'item' with {}", self.expr()),
            3 => {
                let (c, _) = self.collection();
                format!("include 'item' for {c}")
            }
            4 => {
                let (c, _) = self.collection();
                format!("render 'item' for {c}")
            }
            5 => format!("render 'item' with {} as item", self.expr()),
            _ => format!(
                "render 'order' for {} as order",
                self.path_to(Json::is_array)
            ),
        };
        self.tag(&markup);
    }

    fn condition(&mut self) -> String {
        let mut c = self.comparison();
        for _ in 0..self.rng.below(3) {
            let op = self.pick(&["and", "or"]);
            c = format!("{c} {op} {}", self.comparison());
        }
        c
    }

    fn comparison(&mut self) -> String {
        if self.chance(4) {
            return self.expr();
        }
        let op = self.pick(&[
            "==", "!=", "<>", "<", ">", "<=", ">=", "contains", "==", ">",
        ]);
        let (a, b) = (self.expr(), self.expr());
        format!("{a} {op} {b}")
    }

    /// An expression that could go anywhere a value goes.
    fn expr(&mut self) -> String {
        match self.rng.below(20) {
            0..=7 => self.path_to(|_| true),
            8..=9 if !self.loops.is_empty() => self.loop_path(),
            10 if !self.assigned.is_empty() => self.pick_assigned(),
            11 => self.missing_path(),
            12 if self.chance(3) => {
                let (c, _) = self.collection();
                if c.starts_with('(') {
                    c
                } else {
                    self.literal()
                }
            }
            _ => self.literal(),
        }
    }

    /// An expression written as a value (literal or path), as `when` and `cycle` take.
    fn value_like(&mut self) -> String {
        match self.rng.below(3) {
            0 => self.expr(),
            _ => self.literal(),
        }
    }

    fn filtered(&mut self) -> String {
        let mut e = self.expr();
        let mut kind = self.kind_of(&e);
        let n = match self.rng.below(10) {
            0..=3 => 0,
            4..=7 => 1,
            8 => 2,
            _ => 3,
        };
        for _ in 0..n {
            let (text, out) = self.filter(kind);
            e.push_str(&text);
            kind = out;
        }
        e
    }

    /// Roughly what an expression holds.
    fn kind_of(&self, e: &str) -> Kind {
        if e.ends_with(".size") || e.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return NumKind;
        }
        if e.starts_with(['\'', '"']) {
            return StrKind;
        }
        if e.starts_with('(') {
            return ListKind;
        }
        match self
            .world
            .paths
            .iter()
            .find(|(p, _)| p == e)
            .map(|(_, v)| v)
        {
            Some(Json::String(s)) if data::DATES.contains(&s.as_str()) => DateKind,
            Some(Json::String(_)) => StrKind,
            Some(Json::Number(n)) if n.as_i64().is_some_and(|n| n > 1_000_000_000) => DateKind,
            Some(Json::Number(_)) => NumKind,
            Some(Json::Array(_)) => ListKind,
            _ => AnyKind,
        }
    }

    /// A filter call for an input of `kind` (mostly one made for it), and what it gives.
    fn filter(&mut self, kind: Kind) -> (String, Kind) {
        // Dates take string filters too; other strings rarely go to `date` (Shopify
        // finds a date in any text with digits: a listed deviation).
        let fits = |k: Kind| k == kind || k == AnyKind || (kind == DateKind && k == StrKind);
        let fitting: Vec<usize> = (0..FILTERS.len())
            .filter(|&i| kind == AnyKind || fits(FILTERS[i].1))
            .collect();
        let index = if self.chance(12) {
            self.rng.below(FILTERS.len())
        } else {
            fitting[self.rng.below(fitting.len())]
        };
        let (name, _, args, optional, out) = FILTERS[index];
        let keep = args.len() - self.rng.below(optional + 1);
        let mut text = format!(" | {name}");
        for (i, arg) in args[..keep].iter().enumerate() {
            text.push_str(if i == 0 { ": " } else { ", " });
            let value = self.arg(*arg);
            text.push_str(&value);
        }
        if name == "default" && self.chance(4) {
            let b = self.pick(&["true", "false"]);
            text.push_str(&format!(", allow_false: {b}"));
        }
        (text, if out == AnyKind { kind } else { out })
    }

    fn arg(&mut self, arg: Arg) -> String {
        if self.chance(6) {
            return self.expr();
        }
        match arg {
            Str => self.string_literal(),
            Int => self.int_like(-3, 40),
            Num => match self.rng.below(6) {
                0 => "0".into(),
                1 => self.pick(&["2.5", "-0.5", "10.0", "0.1", "3.14159"]).into(),
                2 => format!("'{}'", self.rng.range(-5, 50)),
                _ => self.rng.range(-10, 100).to_string(),
            },
            Key => format!("'{}'", self.pick(KEYS)),
            Any => self.value_like(),
            List => self.path_to(Json::is_array),
            Format => format!("'{}'", self.pick(FORMATS)),
        }
    }

    fn int_like(&mut self, lo: i64, hi: i64) -> String {
        match self.rng.below(8) {
            // Floats here are errors in Shopify (a listed deviation): mostly integers.
            0 => {
                let floats = self.chance(8);
                self.path_to(move |v| v.is_i64() || (floats && v.is_number()))
            }
            1 => format!("'{}'", self.rng.range(lo, hi)),
            _ => self.rng.range(lo, hi).to_string(),
        }
    }

    fn string_literal(&mut self) -> String {
        let text = match self.rng.below(3) {
            0 => self.pick(TEXTS),
            _ => self.pick(&[", ", "-", "a", "é", " ", "🎉", "Gold", "", "%", "ि", "..."]),
        };
        if !text.contains('\'') && (self.chance(2) || text.contains('"')) {
            format!("'{text}'")
        } else if !text.contains('"') {
            format!("\"{text}\"")
        } else {
            "'x'".into()
        }
    }

    fn literal(&mut self) -> String {
        match self.rng.below(12) {
            0..=3 => self.string_literal(),
            4..=5 => self.rng.range(-20, 300).to_string(),
            6 => self.pick(&["2.5", "-0.5", "10.0", "1.0", "0.0"]).into(),
            7 => self.pick(&["true", "false"]).into(),
            8 => "nil".into(),
            9 => self.pick(&["empty", "blank"]).into(),
            10 => self.rng.range(0, 5).to_string(),
            _ => format!("'{}'", self.rng.range(0, 300)),
        }
    }

    /// A path into the globals to a value `fits` accepts (or any path, if none does).
    fn path_to(&mut self, fits: impl Fn(&Json) -> bool) -> String {
        let fitting: Vec<usize> = (0..self.world.paths.len())
            .filter(|&i| fits(&self.world.paths[i].1))
            .collect();
        let path = match fitting.is_empty() {
            true => self.world.paths[self.rng.below(self.world.paths.len())]
                .0
                .clone(),
            false => self.world.paths[fitting[self.rng.below(fitting.len())]]
                .0
                .clone(),
        };
        let value = self
            .world
            .paths
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, v)| v);
        // An integer's size is 8 in Shopify (a listed deviation): rarely.
        let sized = !value.is_some_and(Json::is_number) || self.chance(10);
        match self.rng.below(12) {
            0 if sized => format!("{path}.size"),
            1 => format!("{path}.first"),
            2 => format!("{path}.last"),
            _ => path,
        }
    }

    fn missing_path(&mut self) -> String {
        self.pick(&[
            "Profile.Missing",
            "Event.coupon_code",
            "Profile.Address.Street",
            "missing",
            "Profile.Tags[9]",
            "Event[\"Coupon Cod\"]",
            "Profile.Name.first",
        ])
        .to_owned()
    }

    fn loop_path(&mut self) -> String {
        let i = self.rng.below(self.loops.len());
        let (var, sample, tablerow) = {
            let l = &self.loops[i];
            (l.var.clone(), l.sample.clone(), l.tablerow)
        };
        let innermost = i + 1 == self.loops.len();
        match self.rng.below(6) {
            0 if innermost && tablerow => {
                let field = self.pick(&[
                    "col",
                    "col0",
                    "col_first",
                    "col_last",
                    "row",
                    "index",
                    "index0",
                    "first",
                    "last",
                    "length",
                    "rindex",
                ]);
                format!("tablerowloop.{field}")
            }
            0 if innermost => {
                let field = self.pick(&[
                    "index",
                    "index0",
                    "first",
                    "last",
                    "length",
                    "rindex",
                    "rindex0",
                    "parentloop.index",
                ]);
                format!("forloop.{field}")
            }
            1..=2 => match &sample {
                Json::Object(map) if !map.is_empty() => {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    let key = keys[self.rng.below(keys.len())].clone();
                    data::child(&var, &key, &mut self.rng)
                }
                // A number's size is 8 in Shopify (a listed deviation): rarely.
                Json::Number(_) if !self.chance(10) => var,
                _ => format!("{var}.size"),
            },
            _ => var,
        }
    }

    fn pick_assigned(&mut self) -> String {
        self.assigned[self.rng.below(self.assigned.len())].clone()
    }

    fn assigned_or_path(&mut self) -> String {
        if !self.assigned.is_empty() && self.chance(2) {
            self.pick_assigned()
        } else {
            self.path_to(|_| true)
        }
    }
}
