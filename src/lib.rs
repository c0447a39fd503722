//! promo-liquid: a Liquid template engine for personalizing campaign messages.

pub mod liquid;
pub mod message;
pub mod promo;
