//! Where variables live during a render, and how a path's root is found there.
//!
//! A scope belongs to one template, its *owner*: the template being rendered, or the
//! partial of a `render` tag. The owner's `assign` and `capture` variables live in
//! slots indexed by the ids `resolve` gave its names. A partial rendered with
//! `include` shares the scope of the template that includes it: its own ids are
//! translated to the owner's through a [`NameMap`], and the few names the owner never
//! mentions are kept by name.

use std::rc::Rc;
use std::slice;
use std::sync::Arc;

use super::super::ast::{Binding, Path, Segment};
use super::super::env::Parsed;
use super::super::value::{KeyHint, Map, Val, Value};
use super::{Got, Renderer, Result, Shared};

/// For each name of an included partial, its slot in the scope, if the scope's owner
/// knows the name.
pub(super) type NameMap = Rc<[Option<u32>]>;

/// A template being rendered, and where its part of the shared state begins.
pub(super) struct Frame<'t> {
    pub tpl: &'t Parsed,
    /// The names of the scope's owner, by id.
    pub owner: &'t [Arc<str>],
    /// `None` when this template owns the scope; for an included partial, how its
    /// names map to the owner's slots.
    pub map: Option<NameMap>,
    /// Where this template's loop variables begin on the loop stack; what lies below
    /// belongs to the templates that include it.
    pub stack_base: usize,
    /// Where this template's loops begin in the loop states.
    pub loop_base: usize,
}

impl<'t> Frame<'t> {
    /// The frame of a template that owns its scope.
    pub fn owner(tpl: &'t Parsed) -> Self {
        Frame {
            tpl,
            owner: &tpl.names,
            map: None,
            stack_base: 0,
            loop_base: 0,
        }
    }

    /// The frame of `partial`, included from `self`, sharing its scope and state.
    pub fn include<'p>(
        &self,
        partial: &'p Parsed,
        map: NameMap,
        stack_base: usize,
        loop_base: usize,
    ) -> Frame<'p>
    where
        't: 'p,
    {
        Frame {
            tpl: partial,
            owner: self.owner,
            map: Some(map),
            stack_base,
            loop_base,
        }
    }

    /// The owner's slot for this template's name `id`.
    fn slot(&self, id: u32) -> Option<u32> {
        match &self.map {
            None => Some(id),
            Some(map) => map[id as usize],
        }
    }
}

impl<'g> Renderer<'g> {
    /// The value of a path's root. Segments that `forloop` consumes (`index`,
    /// `parentloop`) are taken from `rest`.
    #[inline]
    pub(super) fn root<'r>(
        &'r self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        path: &Path,
        rest: &mut slice::Iter<'_, Segment>,
    ) -> Result<Got<'r, 'g>> {
        let found = match (path.binding, &path.root) {
            (Binding::Loop(place), _) => {
                return Ok(Got::Stored(&self.stack[fr.stack_base + place as usize].1));
            }
            (Binding::Name(id), Segment::Key(name)) => {
                return Ok(self.named(fr, id, name, &path.hints[0]));
            }
            (Binding::Forloop(level), _) => self.forloop(fr.loop_base + level as usize, rest),
            (Binding::OuterForloop(id), Segment::Key(name)) => match self.loops.len() {
                0 => return Ok(self.named(fr, id, name, &path.hints[0])),
                n => self.forloop(n - 1, rest),
            },
            (_, Segment::Key(name)) => self.by_name(fr, name),
            (_, Segment::Index(i)) => self.by_name(fr, &i.to_string()),
            (_, Segment::Dynamic(expr)) => {
                let key = self.operand(sh, fr, expr)?;
                match key.key_name() {
                    Some(name) => self.by_name(fr, &name),
                    None => None,
                }
            }
        };
        Ok(Got::from_val(found))
    }

    /// A name that none of this template's loops binds.
    #[inline]
    pub(super) fn named<'r>(
        &'r self,
        fr: &Frame<'_>,
        id: u32,
        name: &str,
        hint: &KeyHint,
    ) -> Got<'r, 'g> {
        if fr.map.is_none() && fr.stack_base == 0 {
            // A template that owns its scope and is included by none.
            if let Some(Some(v)) = self.slots.get(id as usize) {
                return Got::Stored(v);
            }
            if self.rare.is_none() {
                return Got::from_val(self.globals.get_hinted(name, hint));
            }
        }
        self.named_slow(fr, id, name, hint)
    }

    #[inline(never)]
    fn named_slow<'r>(
        &'r self,
        fr: &Frame<'_>,
        id: u32,
        name: &str,
        hint: &KeyHint,
    ) -> Got<'r, 'g> {
        // Loop variables and arguments of the templates that include this one.
        if let Some((_, v)) = self.stack[..fr.stack_base]
            .iter()
            .rev()
            .find(|(n, _)| **n == *name)
        {
            return Got::Stored(v);
        }
        let found = match fr.slot(id) {
            Some(slot) => self.slots.get(slot as usize).and_then(Option::as_ref),
            None => self.extra(name),
        };
        if let Some(v) = found {
            return Got::Stored(v);
        }
        if let Some(n) = self.counter(name) {
            return Got::New(n);
        }
        Got::from_val(self.globals.get_hinted(name, hint))
    }

    /// A root known only by name (`[key]`, `[0]`, the bound variable of `include`).
    pub(super) fn by_name(&self, fr: &Frame<'_>, name: &str) -> Option<Val<'g>> {
        if let Some((_, v)) = self.stack.iter().rev().find(|(n, _)| **n == *name) {
            return Some(v.clone());
        }
        let found = match fr.owner.iter().position(|n| **n == *name) {
            Some(slot) => self.slots.get(slot).and_then(Option::as_ref),
            None => self.extra(name),
        };
        if let Some(v) = found {
            return Some(v.clone());
        }
        self.counter(name).or_else(|| self.globals.get(name))
    }

    fn extra(&self, name: &str) -> Option<&Val<'g>> {
        self.rare
            .as_ref()?
            .extra
            .iter()
            .find(|(n, _)| **n == *name)
            .map(|(_, v)| v)
    }

    fn counter(&self, name: &str) -> Option<Val<'g>> {
        self.rare
            .as_ref()?
            .counters
            .get(name)
            .map(|n| Val::Owned(Value::Int(*n)))
    }

    /// `assign` or `capture` to this template's name `id`.
    #[inline]
    pub(super) fn assign(&mut self, fr: &Frame<'_>, id: u32, name: &Arc<str>, value: Val<'g>) {
        match fr.slot(id) {
            Some(slot) => self.set_slot(slot as usize, value),
            None => self.set_extra(name, value),
        }
    }

    /// Sets a variable of the scope by name (the arguments of a `render` tag).
    pub(super) fn assign_named(&mut self, owner: &[Arc<str>], name: &Arc<str>, value: Val<'g>) {
        match owner.iter().position(|n| n == name) {
            Some(slot) => self.set_slot(slot, value),
            None => self.set_extra(name, value),
        }
    }

    #[inline]
    fn set_slot(&mut self, slot: usize, value: Val<'g>) {
        if slot >= self.slots.len() {
            self.slots.resize_with(slot + 1, || None);
        }
        self.slots[slot] = Some(value);
    }

    fn set_extra(&mut self, name: &Arc<str>, value: Val<'g>) {
        let extra = &mut self.rare().extra;
        match extra.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => extra.push((name.clone(), value)),
        }
    }

    /// How the names of `partial` map to this scope's slots, computed once per
    /// partial and scope.
    pub(super) fn include_map(&mut self, owner: &[Arc<str>], partial: &Arc<Parsed>) -> NameMap {
        let maps = &mut self.rare().include_maps;
        if let Some((_, map)) = maps.iter().find(|(p, _)| Arc::ptr_eq(p, partial)) {
            return map.clone();
        }
        let map: NameMap = partial
            .names
            .iter()
            .map(|name| owner.iter().position(|n| n == name).map(|i| i as u32))
            .collect();
        maps.push((partial.clone(), map.clone()));
        map
    }

    /// `forloop` of the loop at `level`, and the properties in `rest` it answers.
    fn forloop(&self, mut level: usize, rest: &mut slice::Iter<'_, Segment>) -> Option<Val<'g>> {
        loop {
            match rest.clone().next() {
                Some(Segment::Key(k)) if &**k == "parentloop" => {
                    rest.next();
                    level = level.checked_sub(1)?;
                }
                Some(Segment::Key(k)) => {
                    rest.next();
                    return self.loop_property(level, k).map(Val::Owned);
                }
                Some(_) => return None,
                None => return Some(Val::Owned(self.loop_object(level))),
            }
        }
    }

    #[inline]
    pub(super) fn loop_property(&self, level: usize, key: &str) -> Option<Value> {
        let l = &self.loops[level];
        Some(match key {
            "index" => Value::Int(l.index0 as i64 + 1),
            "index0" => Value::Int(l.index0 as i64),
            "rindex" => Value::Int((l.length - l.index0) as i64),
            "rindex0" => Value::Int((l.length - l.index0) as i64 - 1),
            "first" => Value::Bool(l.index0 == 0),
            "last" => Value::Bool(l.index0 + 1 == l.length),
            "length" => Value::Int(l.length as i64),
            "name" => Value::Str(l.name.clone()),
            "parentloop" if level > 0 => self.loop_object(level - 1),
            _ => return None,
        })
    }

    pub(super) fn loop_object(&self, level: usize) -> Value {
        let mut map = Map::default();
        for key in [
            "name", "length", "index", "index0", "rindex", "rindex0", "first", "last",
        ] {
            if let Some(v) = self.loop_property(level, key) {
                map.insert(key.to_owned(), v);
            }
        }
        Value::from(map)
    }
}
