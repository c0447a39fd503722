//! The Liquid language: our own implementation of Shopify Liquid 5.

pub mod filters;
pub mod value;
