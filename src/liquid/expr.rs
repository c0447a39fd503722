//! Expressions: the tokens inside `{{ }}` and tag arguments, and the parser that
//! turns them into [`Expr`], [`Filtered`] and [`Condition`].

use std::cell::RefCell;
use std::sync::Arc;

use super::ast::{
    Binding, CompareOp, Comparison, Condition, ConstantArgs, Expr, FilterCall, FilterFnDebug,
    Filtered, Logic, Path, Segment,
};
use super::error::{Error, ErrorKind, Span, suggest};
use super::filters::{FilterFn, Filters};
use super::lexer::syntax;
use super::value::Value;

/// An expression token.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok<'s> {
    /// A name: `product`, `empty_cart`, `foo-bar`, `ok?`.
    Ident(&'s str),
    /// A quoted string (quotes removed).
    Str(&'s str),
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `|`
    Pipe,
    /// `:`
    Colon,
    /// `,`
    Comma,
    /// `=` (only `assign` uses it)
    Assign,
    /// A comparison operator.
    Op(CompareOp),
    /// The end of the markup.
    End,
}

impl Tok<'_> {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("\"{s}\""),
            Tok::Str(s) => format!("the string '{s}'"),
            Tok::Int(i) => format!("the number {i}"),
            Tok::Float(f) => format!("the number {f}"),
            Tok::Dot => "\".\"".into(),
            Tok::DotDot => "\"..\"".into(),
            Tok::LBracket => "\"[\"".into(),
            Tok::RBracket => "\"]\"".into(),
            Tok::LParen => "\"(\"".into(),
            Tok::RParen => "\")\"".into(),
            Tok::Pipe => "\"|\"".into(),
            Tok::Colon => "\":\"".into(),
            Tok::Comma => "\",\"".into(),
            Tok::Assign => "\"=\"".into(),
            Tok::Op(_) => "a comparison operator".into(),
            Tok::End => "the end of the markup".into(),
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Splits expression markup into tokens, each with its absolute byte offset.
pub fn tokenize<'s>(
    text: &'s str,
    offset: usize,
    source: &str,
) -> Result<Vec<(Tok<'s>, usize, usize)>, Error> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let start = i;
        let tok = match c {
            c if c.is_whitespace() => {
                i += c.len_utf8();
                continue;
            }
            '\'' | '"' => {
                let Some(len) = text[i + 1..].find(c) else {
                    return Err(syntax(
                        format!("string is never closed: expected a closing {c}"),
                        source,
                        Span::new(offset + i, offset + text.len()),
                    ));
                };
                i += len + 2;
                Tok::Str(&text[start + 1..start + 1 + len])
            }
            '0'..='9' => number(text, &mut i, offset, source)?,
            '-' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                number(text, &mut i, offset, source)?
            }
            c if is_ident_start(c) => {
                i += text[i..]
                    .find(|c: char| !is_ident_char(c))
                    .unwrap_or(text.len() - i);
                if bytes.get(i) == Some(&b'?') {
                    i += 1;
                }
                Tok::Ident(&text[start..i])
            }
            '.' if bytes.get(i + 1) == Some(&b'.') => {
                i += 2;
                Tok::DotDot
            }
            _ => {
                let two = text.get(i..i + 2).unwrap_or("");
                let (tok, len) = match two {
                    "==" => (Tok::Op(CompareOp::Eq), 2),
                    "!=" | "<>" => (Tok::Op(CompareOp::Ne), 2),
                    "<=" => (Tok::Op(CompareOp::Le), 2),
                    ">=" => (Tok::Op(CompareOp::Ge), 2),
                    _ => match c {
                        '<' => (Tok::Op(CompareOp::Lt), 1),
                        '>' => (Tok::Op(CompareOp::Gt), 1),
                        '.' => (Tok::Dot, 1),
                        '[' => (Tok::LBracket, 1),
                        ']' => (Tok::RBracket, 1),
                        '(' => (Tok::LParen, 1),
                        ')' => (Tok::RParen, 1),
                        '|' => (Tok::Pipe, 1),
                        ':' => (Tok::Colon, 1),
                        ',' => (Tok::Comma, 1),
                        '=' => (Tok::Assign, 1),
                        other => {
                            return Err(syntax(
                                format!("unexpected character {other:?}"),
                                source,
                                Span::at(offset + i, other.len_utf8()),
                            ));
                        }
                    },
                };
                i += len;
                tok
            }
        };
        tokens.push((tok, offset + start, offset + i));
    }
    tokens.push((Tok::End, offset + text.len(), offset + text.len()));
    Ok(tokens)
}

fn number<'s>(text: &'s str, i: &mut usize, offset: usize, source: &str) -> Result<Tok<'s>, Error> {
    let bytes = text.as_bytes();
    let start = *i;
    if bytes[*i] == b'-' {
        *i += 1;
    }
    while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    let is_float =
        bytes.get(*i) == Some(&b'.') && bytes.get(*i + 1).is_some_and(u8::is_ascii_digit);
    if is_float {
        *i += 1;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
    }
    let literal = &text[start..*i];
    let span = Span::new(offset + start, offset + *i);
    if is_float {
        literal
            .parse()
            .map(Tok::Float)
            .map_err(|_| syntax(format!("invalid number {literal}"), source, span))
    } else {
        literal.parse().map(Tok::Int).map_err(|_| {
            Error::new(
                ErrorKind::LimitExceeded,
                format!("integer literal {literal} does not fit in 64 bits"),
            )
            .with_span(source, span)
        })
    }
}

/// Interns the variable names of one template, so that the renderer can compare them
/// by pointer.
#[derive(Default)]
pub struct Names(
    std::cell::RefCell<std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>>,
);

impl Names {
    /// The shared copy of `name`.
    pub fn get(&self, name: &str) -> Arc<str> {
        let mut set = self.0.borrow_mut();
        if let Some(found) = set.get(name) {
            return found.clone();
        }
        let arc: Arc<str> = Arc::from(name);
        set.insert(arc.clone());
        arc
    }
}

/// Parses expression tokens.
pub struct ExprParser<'a, 's> {
    tokens: Vec<(Tok<'s>, usize, usize)>,
    pos: usize,
    source: &'a str,
    filters: &'a Filters,
    names: &'a Names,
    depth: usize,
    max_depth: usize,
    /// Whether `empty` and `blank` are the special values that comparisons test for;
    /// elsewhere they are the empty string, as in Shopify.
    method_literals: bool,
    /// Where errors the parser goes on after are kept (an unknown filter).
    errors: &'a RefCell<Vec<Error>>,
}

impl<'a, 's> ExprParser<'a, 's> {
    /// A parser for `text`, which starts at byte `offset` of `source`. Errors it can
    /// go on after (an unknown filter) are kept in `errors`.
    pub fn new(
        text: &'s str,
        offset: usize,
        source: &'a str,
        filters: &'a Filters,
        names: &'a Names,
        max_depth: usize,
        errors: &'a RefCell<Vec<Error>>,
    ) -> Result<Self, Error> {
        Ok(ExprParser {
            tokens: tokenize(text, offset, source)?,
            pos: 0,
            source,
            filters,
            names,
            depth: 0,
            max_depth,
            method_literals: false,
            errors,
        })
    }

    /// The current token.
    pub fn peek(&self) -> &Tok<'s> {
        &self.tokens[self.pos].0
    }

    /// The token after the current one.
    pub fn peek2(&self) -> &Tok<'s> {
        &self.tokens[(self.pos + 1).min(self.tokens.len() - 1)].0
    }

    /// The offset of the current token.
    pub fn offset(&self) -> usize {
        self.tokens[self.pos].1
    }

    /// Where the last consumed token ends.
    pub fn prev_end(&self) -> usize {
        self.tokens[self.pos.saturating_sub(1)].2
    }

    /// Takes the current token.
    pub fn next(&mut self) -> Tok<'s> {
        let tok = self.tokens[self.pos].0.clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        tok
    }

    /// Takes the current token if it is `tok`.
    pub fn eat(&mut self, tok: &Tok<'_>) -> bool {
        if self.peek() == tok {
            self.next();
            true
        } else {
            false
        }
    }

    /// Takes the identifier `word` if it is next.
    pub fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Tok::Ident(w) if *w == word) {
            self.next();
            true
        } else {
            false
        }
    }

    /// Whether the markup is all consumed.
    pub fn at_end(&self) -> bool {
        matches!(self.peek(), Tok::End)
    }

    /// An error at the current token: expected `what`, found what is there.
    pub fn unexpected(&self, what: &str) -> Error {
        let (tok, at, end) = &self.tokens[self.pos];
        syntax(
            format!("expected {what}, found {}", tok.describe()),
            self.source,
            Span::new(*at, (*end).max(*at + 1)),
        )
    }

    /// Fails unless all markup is consumed.
    pub fn expect_end(&self) -> Result<(), Error> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.unexpected("the end of the markup"))
        }
    }

    /// Takes `tok` or fails.
    pub fn expect(&mut self, tok: &Tok<'_>, what: &str) -> Result<(), Error> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// The interned copy of `name`.
    pub fn name(&self, name: &str) -> Arc<str> {
        self.names.get(name)
    }

    /// Takes an identifier or fails.
    pub fn ident(&mut self, what: &str) -> Result<&'s str, Error> {
        match self.peek() {
            Tok::Ident(name) => {
                let name = *name;
                self.next();
                Ok(name)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "expression nested deeper than the limit of {}",
                    self.max_depth
                ),
            )
            .with_span(self.source, Span::at(self.offset(), 1)));
        }
        Ok(())
    }

    /// Parses an expression followed by filters, up to the end of the markup or a token
    /// that cannot continue it.
    pub fn filtered(&mut self) -> Result<Filtered, Error> {
        let start = self.offset();
        let expr = self.expr()?;
        let mut filters = Vec::new();
        while self.eat(&Tok::Pipe) {
            filters.push(self.filter_call()?);
        }
        let has_default = filters.iter().any(|f| &*f.name == "default");
        Ok(Filtered {
            expr,
            filters,
            has_default,
            span: Span::new(start, self.prev_end().max(start)),
        })
    }

    fn filter_call(&mut self) -> Result<FilterCall, Error> {
        let at = self.offset();
        let name = self.ident("a filter name")?;
        let span = Span::at(at, name.len());
        let func = match self.filters.get(name) {
            Some(filter) => filter.func.clone(),
            None => {
                let error = Error::new(
                    ErrorKind::UnknownFilter,
                    format!("unknown filter \"{name}\""),
                );
                let error = match suggest(name, self.filters.names()) {
                    Some(near) => error.with_help(format!("did you mean \"{near}\"?")),
                    None => error,
                };
                let error = error.with_span(self.source, span);
                // Kept, and the arguments parsed on, for the errors after it: the
                // template does not compile, so the stand-in never runs. Past the
                // most errors a template reports, the parse stops here.
                let mut errors = self.errors.borrow_mut();
                if errors.len() + 1 >= super::parser::MAX_ERRORS {
                    return Err(error);
                }
                errors.push(error);
                let stand_in: FilterFn = Arc::new(|input, _| Ok(input.clone()));
                stand_in
            }
        };
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        if self.eat(&Tok::Colon) {
            loop {
                if let (Tok::Ident(key), Tok::Colon) = (self.peek().clone(), self.peek2().clone()) {
                    self.next();
                    self.next();
                    kwargs.push((self.names.get(key), self.expr()?));
                } else {
                    args.push(self.expr()?);
                }
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let constant = constant_args(&args, &kwargs);
        Ok(FilterCall {
            name: Arc::from(name),
            func: FilterFnDebug(func),
            args,
            kwargs,
            constant,
            span,
        })
    }

    /// Parses one expression: a literal, a path or a range.
    pub fn expr(&mut self) -> Result<Expr, Error> {
        let at = self.offset();
        let expr = match self.peek().clone() {
            Tok::Str(s) => {
                self.next();
                Expr::Literal(Value::str(s))
            }
            Tok::Int(i) => {
                self.next();
                Expr::Literal(Value::Int(i))
            }
            Tok::Float(f) => {
                self.next();
                Expr::Literal(Value::Float(f))
            }
            Tok::Ident(word) => match keyword(word) {
                Some(Value::Empty | Value::Blank) if !self.method_literals => {
                    self.next();
                    Expr::Literal(Value::str(""))
                }
                Some(value) => {
                    self.next();
                    Expr::Literal(value)
                }
                None => Expr::Path(self.path()?),
            },
            Tok::LBracket => Expr::Path(self.path()?),
            Tok::LParen => {
                self.enter()?;
                self.next();
                let start = self.expr()?;
                self.expect(&Tok::DotDot, "\"..\" in a range")?;
                let end = self.expr()?;
                self.expect(&Tok::RParen, "\")\" to close the range")?;
                self.depth -= 1;
                Expr::Range(
                    Box::new(start),
                    Box::new(end),
                    Span::new(at, self.prev_end()),
                )
            }
            _ => return Err(self.unexpected("a value")),
        };
        Ok(expr)
    }

    fn path(&mut self) -> Result<Path, Error> {
        let start = self.offset();
        let root = match self.next() {
            Tok::Ident(name) => Segment::Key(self.names.get(name)),
            Tok::LBracket => self.bracket()?,
            _ => unreachable!("path() is called on an identifier or a bracket"),
        };
        let mut rest = Vec::new();
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.next();
                    match self.next() {
                        Tok::Ident(name) => rest.push(Segment::Key(self.names.get(name))),
                        // CleverTap's dialect: `a.["key"]` is `a["key"]`.
                        Tok::LBracket => rest.push(self.bracket()?),
                        _ => {
                            self.pos -= 1;
                            return Err(self.unexpected("a property name after \".\""));
                        }
                    }
                }
                Tok::LBracket => {
                    self.next();
                    rest.push(self.bracket()?);
                }
                _ => break,
            }
        }
        Ok(Path {
            root,
            binding: Binding::Dynamic,
            hints: Default::default(),
            rest,
            span: Span::new(start, self.prev_end()),
        })
    }

    /// The inside of `[...]`, after the `[`.
    fn bracket(&mut self) -> Result<Segment, Error> {
        self.enter()?;
        let segment = match self.expr()? {
            Expr::Literal(Value::Str(s)) => Segment::Key(s),
            Expr::Literal(Value::Int(i)) => Segment::Index(i),
            other => Segment::Dynamic(Box::new(other)),
        };
        self.expect(&Tok::RBracket, "\"]\"")?;
        self.depth -= 1;
        Ok(segment)
    }

    /// Parses a condition: comparisons joined by `and` / `or`.
    pub fn condition(&mut self) -> Result<Condition, Error> {
        let mut terms = vec![self.comparison()?];
        let mut ops = Vec::new();
        loop {
            let op = if self.eat_word("and") {
                Logic::And
            } else if self.eat_word("or") {
                Logic::Or
            } else {
                break;
            };
            ops.push(op);
            terms.push(self.comparison()?);
        }
        Ok(Condition { terms, ops })
    }

    /// An operand of a comparison (or a `when` value): where `empty` and `blank` are
    /// the values that `==` tests for, not the empty string.
    pub fn operand(&mut self) -> Result<Expr, Error> {
        let outer = std::mem::replace(&mut self.method_literals, true);
        let expr = self.expr();
        self.method_literals = outer;
        expr
    }

    fn comparison(&mut self) -> Result<Comparison, Error> {
        let start = self.offset();
        let left = self.operand()?;
        let op = match self.peek() {
            Tok::Op(op) => *op,
            Tok::Ident("contains") => CompareOp::Contains,
            _ => return Ok(Comparison::Test(left)),
        };
        self.next();
        let right = self.operand()?;
        Ok(Comparison::Compare(
            left,
            op,
            right,
            Span::new(start, self.prev_end()),
        ))
    }
}

/// The value of a keyword literal.
pub fn keyword(word: &str) -> Option<Value> {
    Some(match word {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "nil" | "null" => Value::Nil,
        "empty" => Value::Empty,
        "blank" => Value::Blank,
        _ => return None,
    })
}

fn constant_args(args: &[Expr], kwargs: &[(Arc<str>, Expr)]) -> Option<ConstantArgs> {
    let literal = |e: &Expr| match e {
        Expr::Literal(v) => Some(v.clone()),
        _ => None,
    };
    let args = args.iter().map(literal).collect::<Option<Vec<_>>>()?;
    let kwargs = kwargs
        .iter()
        .map(|(k, e)| literal(e).map(|v| (k.clone(), v)))
        .collect::<Option<Vec<_>>>()?;
    Some((args, kwargs))
}
