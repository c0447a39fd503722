//! Builds the node tree from template tokens: one function per tag.

use std::cell::RefCell;
use std::sync::Arc;

use super::ast::{Block, Condition, Expr, ForLoop, Node, Offset, PartialCall};
use super::env::Limits;
use super::error::{Error, ErrorKind, Span, suggest};
use super::expr::{ExprParser, Names, Tok};
use super::filters::Filters;
use super::lexer::{self, Token, syntax};
use super::value::Value;

/// Every tag the parser knows, for did-you-mean suggestions.
pub const TAGS: &[&str] = &[
    "abort",
    "assign",
    "break",
    "capture",
    "case",
    "comment",
    "continue",
    "cycle",
    "decrement",
    "doc",
    "echo",
    "for",
    "if",
    "ifchanged",
    "include",
    "increment",
    "liquid",
    "raw",
    "render",
    "snippet",
    "tablerow",
    "unless",
];

/// The most compile errors one template reports; past them the parser stops.
pub(super) const MAX_ERRORS: usize = 100;

/// Parses a whole template. On failure, every error found, in source order (never
/// empty): the parser goes on after an error at the next tag or output, so one run
/// reports them all. A limit (size, nesting) or a token that never ends stops it.
pub fn parse(source: &str, filters: &Filters, limits: &Limits) -> Result<Block, Vec<Error>> {
    if source.len() > limits.max_template_bytes {
        return Err(vec![Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "template is {} bytes, over the limit of {} bytes",
                source.len(),
                limits.max_template_bytes
            ),
        )]);
    }
    let tokens = lexer::tokenize(source).map_err(|e| vec![e])?;
    let names = Names::default();
    let errors = RefCell::new(Vec::new());
    let mut parser = Parser {
        source,
        tokens,
        pos: 0,
        filters,
        names: &names,
        limits,
        depth: 0,
        errors: &errors,
        unknown: Vec::new(),
    };
    let result = parser.block(&[]);
    let mut errors = errors.into_inner();
    match result {
        Ok((block, _)) if errors.is_empty() => Ok(block),
        Ok(_) => {
            errors.sort_by_key(|e| e.span().map_or(0, |s| s.start));
            Err(errors)
        }
        Err(fatal) => {
            errors.push(fatal);
            errors.sort_by_key(|e| e.span().map_or(0, |s| s.start));
            Err(errors)
        }
    }
}

/// A tag that ended a block, with its arguments.
struct EndTag<'s> {
    name: &'s str,
    args: &'s str,
    offset: usize,
}

struct Parser<'a, 's> {
    source: &'a str,
    tokens: Vec<Token<'s>>,
    pos: usize,
    filters: &'a Filters,
    names: &'a Names,
    limits: &'a Limits,
    depth: usize,
    /// The errors found so far, the expression parsers' included.
    errors: &'a RefCell<Vec<Error>>,
    /// Unknown tags seen, so that their `end...` tags are not reported again.
    unknown: Vec<&'s str>,
}

impl<'a, 's> Parser<'a, 's> {
    /// Parses nodes until one of the tags in `ends` (returned) or the end of input.
    fn block(&mut self, ends: &[&str]) -> Result<(Block, Option<EndTag<'s>>), Error> {
        let mut nodes = Vec::new();
        while let Some(token) = self.tokens.get(self.pos).cloned() {
            self.pos += 1;
            match token {
                Token::Text(text) => nodes.push(Node::Text(text.into())),
                Token::Output { inner, offset, .. } => {
                    if inner.trim().is_empty() {
                        continue;
                    }
                    let output = self.expr_parser(inner, offset).and_then(|mut p| {
                        let filtered = p.filtered()?;
                        p.expect_end()?;
                        Ok(filtered)
                    });
                    match output {
                        Ok(filtered) => nodes.push(Node::Output(filtered)),
                        Err(e) => self.record(e)?,
                    }
                }
                Token::Tag {
                    name,
                    args,
                    offset,
                    span,
                } => {
                    if ends.contains(&name) {
                        return Ok((nodes, Some(EndTag { name, args, offset })));
                    }
                    match self.tag(name, args, offset, span) {
                        Ok(Some(node)) => nodes.push(node),
                        Ok(None) => {}
                        Err(e) => self.record(e)?,
                    }
                }
            }
        }
        Ok((nodes, None))
    }

    /// Keeps a recoverable error and goes on; a limit, or one error too many, stops
    /// the parse.
    fn record(&mut self, e: Error) -> Result<(), Error> {
        let mut errors = self.errors.borrow_mut();
        if e.kind() == ErrorKind::LimitExceeded || errors.len() + 1 >= MAX_ERRORS {
            return Err(e);
        }
        errors.push(e);
        Ok(())
    }

    /// A recoverable error's value: `Ok` as it is, or the error kept and `fallback`
    /// parsed on with.
    fn recover<T>(&mut self, result: Result<T, Error>, fallback: T) -> Result<T, Error> {
        match result {
            Ok(value) => Ok(value),
            Err(e) => {
                self.record(e)?;
                Ok(fallback)
            }
        }
    }

    /// Parses a block that must be closed by one of `ends`. One that never is counts as
    /// closed at the end of the template, with its error kept.
    fn closed_block(
        &mut self,
        opener: &str,
        open_span: Span,
        ends: &[&'static str],
    ) -> Result<(Block, EndTag<'s>), Error> {
        let (block, end) = self.block(ends)?;
        match end {
            Some(end) => Ok((block, end)),
            None => {
                let last = ends[ends.len() - 1];
                self.record(syntax(
                    format!("\"{opener}\" is never closed: expected \"{{% {last} %}}\""),
                    self.source,
                    open_span,
                ))?;
                let end = EndTag {
                    name: last,
                    args: "",
                    offset: self.source.len(),
                };
                Ok((block, end))
            }
        }
    }

    fn expr_parser(&self, text: &'s str, offset: usize) -> Result<ExprParser<'a, 's>, Error> {
        ExprParser::new(
            text,
            offset,
            self.source,
            self.filters,
            self.names,
            self.limits.max_depth,
            self.errors,
        )
    }

    fn enter(&mut self, span: Span) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "blocks nested deeper than the limit of {}",
                    self.limits.max_depth
                ),
            )
            .with_span(self.source, span));
        }
        Ok(())
    }

    fn tag(
        &mut self,
        name: &'s str,
        args: &'s str,
        offset: usize,
        span: Span,
    ) -> Result<Option<Node>, Error> {
        let node = match name {
            "if" | "unless" => self.if_tag(name, args, offset, span)?,
            "case" => self.case_tag(args, offset, span)?,
            "for" | "tablerow" => self.for_tag(name, args, offset, span)?,
            "assign" => self.assign_tag(args, offset, span)?,
            "capture" => {
                let var = self.expr_parser(args, offset).and_then(|mut p| {
                    let var = self.variable_name(&mut p, "a variable name after \"capture\"")?;
                    p.expect_end()?;
                    Ok(var)
                });
                let var = self.recover(var, Arc::from(""))?;
                self.enter(span)?;
                // A capture keeps its white space (`{% capture nl %}\n{% endcapture %}`).
                let (body, _) = self.closed_block("capture", span, &["endcapture"])?;
                self.depth -= 1;
                Node::Capture {
                    name: var,
                    body,
                    id: 0,
                    span,
                }
            }
            "increment" | "decrement" => {
                let mut p = self.expr_parser(args, offset)?;
                let var = self.variable_name(&mut p, "a counter name")?;
                p.expect_end()?;
                Node::Counter {
                    name: var,
                    step: if name == "increment" { 1 } else { -1 },
                }
            }
            "cycle" => self.cycle_tag(args, offset)?,
            "echo" => {
                if args.trim().is_empty() {
                    return Ok(None);
                }
                let mut p = self.expr_parser(args, offset)?;
                let filtered = p.filtered()?;
                p.expect_end()?;
                Node::Output(filtered)
            }
            "comment" => {
                self.skip_comment(span)?;
                return Ok(None);
            }
            "#" => {
                if args
                    .lines()
                    .skip(1)
                    .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                {
                    return Err(syntax(
                        "every line of an inline comment must start with \"#\"",
                        self.source,
                        span,
                    ));
                }
                return Ok(None);
            }
            "raw" => {
                let mut text = String::new();
                while let Some(token) = self.tokens.get(self.pos) {
                    self.pos += 1;
                    match token {
                        Token::Text(t) => text.push_str(t),
                        _ => break,
                    }
                }
                Node::Text(text.into())
            }
            "doc" => {
                if !args.trim().is_empty() {
                    return Err(syntax("\"doc\" takes no arguments", self.source, span));
                }
                self.pos += 1;
                return Ok(None);
            }
            "liquid" => {
                self.enter(span)?;
                let tokens = match lexer::tokenize_liquid(args, offset, self.source) {
                    Ok(tokens) => tokens,
                    Err(e) => {
                        self.depth -= 1;
                        return Err(e);
                    }
                };
                let mut inner = Parser {
                    source: self.source,
                    tokens,
                    pos: 0,
                    filters: self.filters,
                    names: self.names,
                    limits: self.limits,
                    depth: self.depth,
                    errors: self.errors,
                    unknown: Vec::new(),
                };
                let (block, _) = inner.block(&[])?;
                self.depth -= 1;
                Node::Block(block)
            }
            "ifchanged" => {
                self.enter(span)?;
                let (body, _) = self.closed_block("ifchanged", span, &["endifchanged"])?;
                self.depth -= 1;
                Node::IfChanged(body)
            }
            "include" | "render" | "snippet" => self.partial_tag(name, args, offset, span)?,
            "break" | "continue" => {
                let p = self.expr_parser(args, offset)?;
                p.expect_end()?;
                if name == "break" {
                    Node::Break
                } else {
                    Node::Continue
                }
            }
            "abort" => {
                let mut p = self.expr_parser(args, offset)?;
                let reason = if p.at_end() { None } else { Some(p.expr()?) };
                p.expect_end()?;
                Node::Abort(reason, span)
            }
            _ => {
                // The end tag of an unknown block tag was reported with its opener.
                if let Some(opener) = name.strip_prefix("end") {
                    if let Some(i) = self.unknown.iter().position(|u| *u == opener) {
                        self.unknown.remove(i);
                        return Ok(None);
                    }
                }
                if !TAGS.contains(&name) {
                    self.unknown.push(name);
                    // `{% iff x %}...{% endif %}`: the `endif` belongs to the slip.
                    if let Some(near) = suggest(name, TAGS.iter().copied()) {
                        self.unknown.push(near);
                    }
                }
                return Err(self.unknown_tag(name, span));
            }
        };
        Ok(Some(node))
    }

    fn unknown_tag(&self, name: &str, span: Span) -> Error {
        const ENDS: &[&str] = &[
            "else",
            "elsif",
            "when",
            "endif",
            "endunless",
            "endcase",
            "endfor",
            "endtablerow",
            "endcapture",
            "endcomment",
            "endraw",
            "enddoc",
            "endifchanged",
        ];
        if ENDS.contains(&name) {
            return syntax(format!("unexpected \"{name}\""), self.source, span);
        }
        let error = Error::new(ErrorKind::UnknownTag, format!("unknown tag \"{name}\""));
        match suggest(name, TAGS.iter().copied()) {
            Some(near) => error.with_help(format!("did you mean \"{near}\"?")),
            None => error,
        }
        .with_span(self.source, span)
    }

    fn skip_comment(&mut self, span: Span) -> Result<(), Error> {
        let mut depth = 1;
        while let Some(token) = self.tokens.get(self.pos) {
            self.pos += 1;
            if let Token::Tag { name, .. } = token {
                match *name {
                    "comment" => depth += 1,
                    "endcomment" => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
        }
        Err(syntax(
            "\"comment\" is never closed: expected \"{% endcomment %}\"",
            self.source,
            span,
        ))
    }

    fn variable_name(&self, p: &mut ExprParser<'a, 's>, what: &str) -> Result<Arc<str>, Error> {
        match p.next() {
            Tok::Ident(name) => Ok(p.name(name)),
            Tok::Int(i) if i >= 0 => Ok(p.name(&i.to_string())),
            Tok::Str(name) => Ok(p.name(name)),
            _ => Err(p.unexpected(what)),
        }
    }

    fn if_tag(
        &mut self,
        name: &str,
        args: &'s str,
        offset: usize,
        span: Span,
    ) -> Result<Node, Error> {
        let end_name = if name == "if" { "endif" } else { "endunless" };
        let ends = ["elsif", "else", end_name];
        self.enter(span)?;
        let mut branches = Vec::new();
        let mut otherwise = None;
        let (mut cond_args, mut cond_offset) = (args, offset);
        loop {
            let condition = self.expr_parser(cond_args, cond_offset).and_then(|mut p| {
                let condition = p.condition()?;
                p.expect_end()?;
                Ok(condition)
            });
            let condition = self.recover(condition, Condition::default())?;
            let (body, end) = self.closed_block(name, span, &ends)?;
            branches.push((condition, body));
            match end.name {
                "elsif" => (cond_args, cond_offset) = (end.args, end.offset),
                "else" => {
                    let (body, mut end) = self.closed_block(name, span, &ends)?;
                    otherwise = Some(body);
                    // Blocks after the first `else` are never rendered.
                    while end.name != end_name {
                        end = self.closed_block(name, span, &ends)?.1;
                    }
                    break;
                }
                _ => break,
            }
        }
        self.depth -= 1;
        let mut blocks: Vec<&mut Block> = branches.iter_mut().map(|(_, b)| b).collect();
        if let Some(b) = otherwise.as_mut() {
            blocks.push(b);
        }
        strip_if_blank(&mut blocks);
        Ok(Node::If {
            branches,
            otherwise,
            negate_first: name == "unless",
        })
    }

    fn case_tag(&mut self, args: &'s str, offset: usize, span: Span) -> Result<Node, Error> {
        let subject = self.expr_parser(args, offset).and_then(|mut p| {
            let subject = p.expr()?;
            p.expect_end()?;
            Ok(subject)
        });
        let subject = self.recover(subject, Expr::Literal(Value::Nil))?;
        self.enter(span)?;
        let ends = ["when", "else", "endcase"];
        // Whatever stands before the first `when` is never rendered, but (as in Shopify)
        // it counts when deciding whether the tag is blank.
        let (before, mut end) = self.closed_block("case", span, &ends)?;
        let mut arms = Vec::new();
        while end.name != "endcase" {
            let values = if end.name == "when" {
                let values = self.expr_parser(end.args, end.offset).and_then(|mut p| {
                    let mut values = vec![p.operand()?];
                    while p.eat(&Tok::Comma) || p.eat_word("or") {
                        values.push(p.operand()?);
                    }
                    p.expect_end()?;
                    Ok(values)
                });
                Some(self.recover(values, Vec::new())?)
            } else {
                None
            };
            let (body, next) = self.closed_block("case", span, &ends)?;
            arms.push((values, body));
            end = next;
        }
        self.depth -= 1;
        if block_is_blank(&before) {
            strip_if_blank(&mut arms.iter_mut().map(|(_, b)| b).collect::<Vec<_>>());
        }
        Ok(Node::Case {
            subject,
            arms,
            span,
        })
    }

    fn for_tag(
        &mut self,
        name: &str,
        args: &'s str,
        offset: usize,
        span: Span,
    ) -> Result<Node, Error> {
        let tablerow = name == "tablerow";
        let header = self.for_header(tablerow, args, offset, span);
        let mut for_loop = self.recover(
            header,
            ForLoop {
                name: Arc::from(""),
                var: Arc::from(""),
                collection: Expr::Literal(Value::Nil),
                limit: None,
                offset: None,
                cols: None,
                reversed: false,
                body: Vec::new(),
                otherwise: None,
                tablerow,
                span,
            },
        )?;
        self.enter(span)?;
        let end_name = if tablerow { "endtablerow" } else { "endfor" };
        let ends: &[&str] = if tablerow {
            &[end_name]
        } else {
            &["else", end_name]
        };
        let (mut body, end) = self.closed_block(name, span, ends)?;
        let mut otherwise = None;
        if end.name == "else" {
            otherwise = Some(self.closed_block(name, span, &[end_name])?.0);
        }
        self.depth -= 1;
        // A `tablerow` keeps the white space of its cells, as Shopify does.
        if !tablerow {
            let mut blocks = vec![&mut body];
            if let Some(b) = otherwise.as_mut() {
                blocks.push(b);
            }
            strip_if_blank(&mut blocks);
        }
        for_loop.body = body;
        for_loop.otherwise = otherwise;
        Ok(Node::For(Box::new(for_loop)))
    }

    /// The loop of a `for` or `tablerow` tag, from its arguments, without its body.
    fn for_header(
        &self,
        tablerow: bool,
        args: &'s str,
        offset: usize,
        span: Span,
    ) -> Result<ForLoop, Error> {
        let mut p = self.expr_parser(args, offset)?;
        let var = self.variable_name(&mut p, "a loop variable name")?;
        if !p.eat_word("in") {
            return Err(p.unexpected("\"in\""));
        }
        let collection_start = p.offset();
        let collection = p.expr()?;
        let collection_text = self.source[collection_start..p.prev_end()].trim();
        let mut for_loop = ForLoop {
            name: Arc::from(format!("{var}-{collection_text}")),
            var,
            collection,
            limit: None,
            offset: None,
            cols: None,
            reversed: false,
            body: Vec::new(),
            otherwise: None,
            tablerow,
            span,
        };
        loop {
            p.eat(&Tok::Comma);
            if p.at_end() {
                break;
            }
            if !tablerow && p.eat_word("reversed") {
                for_loop.reversed = true;
                continue;
            }
            let key = p.ident("\"limit\", \"offset\" or \"reversed\"")?;
            p.expect(&Tok::Colon, "\":\"")?;
            match key {
                "limit" => for_loop.limit = Some(p.expr()?),
                "offset" if p.eat_word("continue") => for_loop.offset = Some(Offset::Continue),
                "offset" => for_loop.offset = Some(Offset::Expr(p.expr()?)),
                "cols" if tablerow => for_loop.cols = Some(p.expr()?),
                _ => {
                    return Err(syntax(
                        format!("unknown loop argument \"{key}\""),
                        self.source,
                        Span::at(p.offset(), 1),
                    ));
                }
            }
        }
        Ok(for_loop)
    }

    fn assign_tag(&mut self, args: &'s str, offset: usize, span: Span) -> Result<Node, Error> {
        let Some(eq) = args.find('=') else {
            return Err(syntax(
                "expected \"name = value\" after \"assign\"",
                self.source,
                span,
            ));
        };
        let target = args[..eq].trim();
        let valid = !target.is_empty()
            && !target.starts_with('-')
            && target
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(syntax(
                format!("expected a variable name before \"=\", found \"{target}\""),
                self.source,
                span,
            ));
        }
        let mut p = self.expr_parser(&args[eq + 1..], offset + eq + 1)?;
        let value = p.filtered()?;
        p.expect_end()?;
        Ok(Node::Assign {
            name: self.names.get(target),
            value,
            id: 0,
        })
    }

    fn cycle_tag(&mut self, args: &'s str, offset: usize) -> Result<Node, Error> {
        let mut p = self.expr_parser(args, offset)?;
        let mut group = None;
        let first = p.expr()?;
        let mut values = Vec::new();
        if p.eat(&Tok::Colon) {
            group = Some(first);
        } else {
            values.push(first);
            p.eat(&Tok::Comma);
        }
        while !p.at_end() {
            values.push(p.expr()?);
            if !p.eat(&Tok::Comma) {
                break;
            }
        }
        p.expect_end()?;
        if values.is_empty() {
            return Err(p.unexpected("values to cycle through"));
        }
        let key = match group {
            Some(_) => Arc::from(""),
            None => Arc::from(args.trim()),
        };
        Ok(Node::Cycle { group, key, values })
    }

    fn partial_tag(
        &mut self,
        tag: &str,
        args: &'s str,
        offset: usize,
        span: Span,
    ) -> Result<Node, Error> {
        let snippet = tag == "snippet";
        let mut p = self.expr_parser(args, offset)?;
        let name = p.expr()?;
        if tag == "render" && !matches!(name, Expr::Literal(_)) {
            return Err(syntax(
                "\"render\" takes the partial's name as a quoted string",
                self.source,
                span,
            )
            .with_help("for a name that comes from data, use `{% snippet name_expression %}`"));
        }
        let mut fallback = None;
        if snippet && p.eat_word("or") {
            let start = p.offset();
            match p.next() {
                Tok::Str(name) => fallback = Some((p.name(name), Span::new(start, p.prev_end()))),
                _ => {
                    return Err(syntax(
                        "expected the fallback snippet's name as a quoted string after \"or\"",
                        self.source,
                        Span::new(start, p.prev_end().max(start + 1)),
                    ));
                }
            }
        }
        let mut call = PartialCall {
            isolated: tag != "include",
            snippet,
            name,
            fallback,
            bound: None,
            alias: None,
            args: Vec::new(),
            span,
        };
        if matches!(p.peek(), Tok::Ident("with" | "for")) && !matches!(p.peek2(), Tok::Colon) {
            let is_for = p.eat_word("for");
            if !is_for {
                p.next();
            }
            call.bound = Some((p.expr()?, is_for));
            if p.eat_word("as") {
                let alias = p.ident("a name after \"as\"")?;
                call.alias = Some(p.name(alias));
            }
        }
        loop {
            p.eat(&Tok::Comma);
            if p.at_end() {
                break;
            }
            let start = p.offset();
            let key = p.ident("a keyword argument")?;
            p.expect(&Tok::Colon, "\":\"")?;
            let value = p.expr()?;
            let span = Span::new(start, p.prev_end());
            call.args.push((p.name(key), value, span));
        }
        Ok(Node::Partial(Box::new(call)))
    }
}

/// Whether a node outputs nothing but white space whatever the data.
fn is_blank(node: &Node) -> bool {
    match node {
        Node::Text(t) => t.trim().is_empty(),
        Node::Assign { .. } | Node::Capture { .. } => true,
        Node::If {
            branches,
            otherwise,
            ..
        } => {
            branches.iter().all(|(_, b)| block_is_blank(b))
                && otherwise.as_deref().is_none_or(block_is_blank)
        }
        Node::Case { arms, .. } => arms.iter().all(|(_, b)| block_is_blank(b)),
        Node::For(f) => {
            block_is_blank(&f.body) && f.otherwise.as_deref().is_none_or(block_is_blank)
        }
        Node::IfChanged(b) | Node::Block(b) => block_is_blank(b),
        _ => false,
    }
}

fn block_is_blank(block: &[Node]) -> bool {
    block.iter().all(is_blank)
}

/// Liquid drops the white space of an `if`, `unless`, `case` or `for` whose blocks are
/// all blank, so that a tag that only assigns does not leave empty lines behind.
fn strip_if_blank(blocks: &mut [&mut Block]) {
    if blocks.iter().all(|b| block_is_blank(b)) {
        for block in blocks {
            block.retain(|n| !matches!(n, Node::Text(_)));
        }
    }
}
