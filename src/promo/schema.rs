//! The event schema: the one table of the six promo events and their properties.
//!
//! Everything else reads this table: record validation, the Liquid view of an event,
//! lint, `promo-liquid schema` and the README's property table. It follows
//! `spec/promo-events.md`, with the spec's inconsistencies settled as DESIGN.md says:
//! `Description` and `Coupon Description` are one property, and `Wallet Name` is an
//! optional property of both wallet events.
//!
//! # The partner voucher in CleverTap's current names
//!
//! CleverTap's current documentation names the partner voucher's properties otherwise
//! than the spec, and adds three. Records from a real account may come in either
//! naming, so both name the same properties here, and a message renders the same text
//! for a record in either:
//!
//! | current name | property | why |
//! |---|---|---|
//! | `voucherCode` | Voucher Code (new) | the code itself, which the spec lacks (its `Code Name` names the code) |
//! | `voucherListId` | Voucher List Id | the same name, in camelCase |
//! | `partner` | Code Provider | the external provider of the voucher |
//! | `listDescription` | Code Description | the voucher list's description |
//! | `listTag` | Code Snippet Name | a short unique handle of the voucher list: what picks the message's snippet |
//! | `listExpiry` | Voucher Expiry Date (new) | a date, read as every date property is |
//! | `campaignId`, `source` | Campaign Id, Source | the common properties, in camelCase |
//! | `eventTimestamp` | Event Timestamp (new) | the record's time: a date, and the record's `ts` when it has none |
//!
//! The current names are *input* names, like the camelCase ones: records may use them,
//! templates use the spec's names (`Event["Code Provider"]`) or their snake_case
//! aliases, so that one message reads one vocabulary whatever its records use, and lint
//! points a template that writes `Event.partner` to `Event["Code Provider"]`.
//!
//! Required are only the properties both namings carry (Voucher List Id, Code
//! Provider, Code Snippet Name, Campaign Id, Source), so a record in either naming
//! passes the required-property check: `Code Name` (not in current records) and the
//! three new properties (not in the spec's) are optional. A message that shows the
//! code reads `Event["Voucher Code"] | default: Event["Code Name"]`.

use std::fmt;

use crate::liquid::suggest;

/// One of the six promo events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// `CT Coupon Rewarded`: a coupon was issued to the user.
    CouponRewarded,
    /// `CT Coupon Redeemed`: the user redeemed a coupon.
    CouponRedeemed,
    /// `CT Coupon Reverted`: a redemption was reverted.
    CouponReverted,
    /// `CT Points Credited`: points were added to the user's wallet.
    PointsCredited,
    /// `CT Points Debited`: points were taken from the user's wallet.
    PointsDebited,
    /// `CT Partner Voucher Rewarded`: the user received a partner voucher.
    PartnerVoucherRewarded,
}

/// A property's data type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
pub enum DataType {
    /// Text.
    String,
    /// A number (integer or decimal); numeric strings such as `"20"` are accepted.
    Numeric,
    /// A date and time: `DD-MM-YYYY HH:MM:SS`, `YYYY-MM-DD HH:MM:SS` or epoch seconds.
    Date,
}

/// Whether an event always carries a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "when")]
pub enum Presence {
    /// Always set.
    Required,
    /// May be missing or empty.
    Optional,
    /// Set only in the case named: for example, only for single-use coupons.
    Conditional(&'static str),
}

/// The module a property belongs to in the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
pub enum Module {
    /// Coupons.
    Coupon,
    /// Loyalty wallets.
    Wallets,
    /// Partner vouchers.
    #[serde(rename = "Partner Voucher")]
    PartnerVoucher,
    /// Shared by all modules.
    Common,
}

/// A property of the schema.
#[derive(Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Property {
    /// The name in the spec, e.g. `Coupon Code`; how templates usually read it.
    pub name: &'static str,
    /// The snake_case alias, for dot access: `Event.coupon_code`.
    pub snake: &'static str,
    /// CleverTap's camelCase name, accepted in input records: `couponCode`.
    pub camel: &'static str,
    /// Further names accepted both in input and in templates.
    pub aliases: &'static [&'static str],
    /// Further names accepted in input records only: CleverTap's current names for the
    /// partner voucher's properties (`partner`, `listTag`, ...). See the module docs.
    pub inputs: &'static [&'static str],
    /// The data type.
    pub data_type: DataType,
    /// The spec's module.
    pub module: Module,
    /// What it is (the spec's definition).
    pub definition: &'static str,
    /// The spec's notes.
    pub notes: &'static str,
    /// Whether the events carrying it always set it.
    pub presence: Presence,
}

/// A property's index in [`PROPERTIES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropertyId(pub(crate) u8);

impl PropertyId {
    /// The property's schema entry.
    pub fn property(self) -> &'static Property {
        &PROPERTIES[self.0 as usize]
    }

    /// The index, from 0.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

macro_rules! properties {
    ($( $id:ident: $name:literal, $snake:literal, $camel:literal, [$($alias:literal),*], [$($input:literal),*], $ty:ident, $module:ident, $presence:expr, $definition:literal, $notes:literal; )*) => {
        /// Every property, in the spec's order.
        pub static PROPERTIES: &[Property] = &[$(Property {
            name: $name,
            snake: $snake,
            camel: $camel,
            aliases: &[$($alias),*],
            inputs: &[$($input),*],
            data_type: DataType::$ty,
            module: Module::$module,
            definition: $definition,
            notes: $notes,
            presence: $presence,
        }),*];

        #[allow(non_camel_case_types, clippy::upper_case_acronyms, dead_code)]
        #[repr(u8)]
        enum Ids { $($id),* }

        /// The property a template may call `name`: its canonical name, its snake_case
        /// alias or one of its further aliases.
        pub fn lookup(name: &str) -> Option<PropertyId> {
            match name {
                $($name | $snake $(| $alias)* => Some(prop::$id),)*
                _ => None,
            }
        }

        /// Named property ids, for code that needs one property.
        pub mod prop {
            use super::PropertyId;
            $(
                #[doc = concat!("`", $name, "`")]
                pub const $id: PropertyId = PropertyId(super::Ids::$id as u8);
            )*
        }
    };
}

use Presence::{Conditional, Optional, Required};

properties! {
    COUPON_NAME: "Coupon Name", "coupon_name", "couponName", [], [], String, Coupon,
        Conditional("bulk coupons"), "Name configured for a bulk coupon", "Applies to bulk coupons";
    COUPON_CODE: "Coupon Code", "coupon_code", "couponCode", [], [], String, Coupon,
        Conditional("single-use coupons"), "Coupon code assigned for single code", "Applies to single-use coupons";
    COUPON_ID: "Coupon Id", "coupon_id", "couponId", [], [], String, Coupon,
        Required, "Unique identifier for the coupon", "Auto-generated";
    COUPON_DESCRIPTION: "Coupon Description", "coupon_description", "couponDescription", ["Description", "description"], [], String, Coupon,
        Optional, "Text description of the coupon", "Optional; the spec also calls it Description";
    TERMS_AND_CONDITION: "Terms and Condition", "terms_and_condition", "termsAndCondition", [], [], String, Coupon,
        Optional, "T&Cs associated with the coupon", "Optional";
    COUPON_START_DATE: "Coupon Start Date", "coupon_start_date", "couponStartDate", [], [], Date, Coupon,
        Required, "Date when coupon becomes valid", "Format: DD-MM-YYYY HH:MM:SS";
    REDEMPTION_ACTIVATION_DATE: "Redemption Activation Date", "redemption_activation_date", "redemptionActivationDate", [], [], Date, Coupon,
        Optional, "When redemption is allowed after coupon is issued", "Format: DD-MM-YYYY HH:MM:SS";
    COUPON_EXPIRY_DATE: "Coupon Expiry Date", "coupon_expiry_date", "couponExpiryDate", [], [], Date, Coupon,
        Required, "Expiration date for the coupon", "Format: DD-MM-YYYY HH:MM:SS";
    ORDER_ID: "Order Id", "order_id", "orderId", [], [], String, Coupon,
        Required, "Transaction/order ID for redemption or reversion", "From redemption/reversion API payload";
    DISCOUNT_AMOUNT: "Discount Amount", "discount_amount", "discountAmount", [], [], Numeric, Coupon,
        Conditional("discount-type coupons"), "Total discount offered via coupon", "Applies to discount-type coupons";
    CASHBACK_POINTS: "Cashback Points", "cashback_points", "cashbackPoints", [], [], Numeric, Coupon,
        Conditional("cashback-type coupons"), "Cashback credited on redemption", "Applies to cashback-type coupons";
    WALLET_ID: "Wallet Id", "wallet_id", "walletId", [], [], String, Wallets,
        Required, "Unique identifier for wallet", "";
    WALLET_NAME: "Wallet Name", "wallet_name", "walletName", [], [], String, Wallets,
        Optional, "Name configured for the wallet", "Optional on both wallet events";
    WALLET_DESCRIPTION: "Wallet Description", "wallet_description", "walletDescription", [], [], String, Wallets,
        Optional, "Wallet's description", "";
    POINTS: "Points", "points", "points", [], [], Numeric, Wallets,
        Required, "Number of points credited, debited or reverted", "e.g., 20";
    TRANSACTION_ID: "Transaction Id", "transaction_id", "transactionId", [], [], String, Wallets,
        Required, "Unique transaction identifier", "";
    SOURCE: "Source", "source", "source", [], [], String, Wallets,
        Required, "How the wallet operation was triggered (API, Manual, Campaign, etc.)", "Enum values";
    CODE_NAME: "Code Name", "code_name", "codeName", [], [], String, PartnerVoucher,
        Optional, "Name of the voucher code", "The spec's records carry it; CleverTap's current ones carry voucherCode instead";
    VOUCHER_CODE: "Voucher Code", "voucher_code", "voucherCode", [], [], String, PartnerVoucher,
        Optional, "The voucher code itself", "Not in the spec; CleverTap's current name";
    VOUCHER_LIST_ID: "Voucher List Id", "voucher_list_id", "voucherListId", [], [], String, PartnerVoucher,
        Required, "ID assigned to the voucher list", "";
    CODE_DESCRIPTION: "Code Description", "code_description", "codeDescription", [], ["listDescription"], String, PartnerVoucher,
        Optional, "Voucher's description", "May be empty if not configured";
    CODE_PROVIDER: "Code Provider", "code_provider", "codeProvider", [], ["partner"], String, PartnerVoucher,
        Required, "External provider for the voucher", "";
    CODE_SNIPPET_NAME: "Code Snippet Name", "code_snippet_name", "codeSnippetName", [], ["listTag"], String, PartnerVoucher,
        Required, "Configured code snippet for personalized messaging", "A short unique handle of the voucher list; picks the snippet";
    VOUCHER_EXPIRY_DATE: "Voucher Expiry Date", "voucher_expiry_date", "voucherExpiryDate", [], ["listExpiry"], Date, PartnerVoucher,
        Optional, "When the voucher list's codes expire", "Not in the spec; CleverTap's current name is listExpiry";
    CAMPAIGN_ID: "Campaign Id", "campaign_id", "campaignId", [], [], String, Common,
        Required, "Campaign that generated the reward", "Applies across all reward modules";
    EVENT_TIMESTAMP: "Event Timestamp", "event_timestamp", "eventTimestamp", [], [], Date, PartnerVoucher,
        Optional, "When the voucher was rewarded: the record's time", "Not in the spec; CleverTap's current name";
}

/// How many properties the schema has.
pub const PROPERTY_COUNT: usize = PROPERTIES.len();

use prop::*;

impl EventKind {
    /// All six events.
    pub const ALL: [EventKind; 6] = [
        EventKind::CouponRewarded,
        EventKind::CouponRedeemed,
        EventKind::CouponReverted,
        EventKind::PointsCredited,
        EventKind::PointsDebited,
        EventKind::PartnerVoucherRewarded,
    ];

    /// The event's name, e.g. `CT Coupon Rewarded`.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::CouponRewarded => "CT Coupon Rewarded",
            EventKind::CouponRedeemed => "CT Coupon Redeemed",
            EventKind::CouponReverted => "CT Coupon Reverted",
            EventKind::PointsCredited => "CT Points Credited",
            EventKind::PointsDebited => "CT Points Debited",
            EventKind::PartnerVoucherRewarded => "CT Partner Voucher Rewarded",
        }
    }

    /// The event called `name`, exactly as CleverTap spells it.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The spec's reward module.
    pub fn module(self) -> Module {
        match self {
            EventKind::CouponRewarded | EventKind::CouponRedeemed | EventKind::CouponReverted => {
                Module::Coupon
            }
            EventKind::PointsCredited | EventKind::PointsDebited => Module::Wallets,
            EventKind::PartnerVoucherRewarded => Module::PartnerVoucher,
        }
    }

    /// What the event means.
    pub fn description(self) -> &'static str {
        match self {
            EventKind::CouponRewarded => "User is rewarded with a coupon",
            EventKind::CouponRedeemed => "Coupon is redeemed through the redemption API",
            EventKind::CouponReverted => "A redeemed coupon is reversed",
            EventKind::PointsCredited => "Points added to the user's loyalty wallet",
            EventKind::PointsDebited => "Points deducted from the wallet",
            EventKind::PartnerVoucherRewarded => "User receives a third-party/partner voucher",
        }
    }

    /// When it fires.
    pub fn trigger(self) -> &'static str {
        match self {
            EventKind::CouponRewarded => "When the coupon is issued through a promo campaign",
            EventKind::CouponRedeemed => "When user redeems the coupon",
            EventKind::CouponReverted => "When redemption is reverted",
            EventKind::PointsCredited => "API/manual/campaign/cashback-based point credit",
            EventKind::PointsDebited => "API/manual point debit",
            EventKind::PartnerVoucherRewarded => "Rewarded via campaign or voucher API",
        }
    }

    /// The properties the event carries, in the spec's order.
    pub fn properties(self) -> &'static [PropertyId] {
        const REDEMPTION: &[PropertyId] = &[
            ORDER_ID,
            COUPON_CODE,
            COUPON_ID,
            COUPON_NAME,
            DISCOUNT_AMOUNT,
            CASHBACK_POINTS,
        ];
        match self {
            EventKind::CouponRewarded => &[
                COUPON_NAME,
                COUPON_ID,
                COUPON_CODE,
                CAMPAIGN_ID,
                COUPON_DESCRIPTION,
                TERMS_AND_CONDITION,
                COUPON_START_DATE,
                REDEMPTION_ACTIVATION_DATE,
                COUPON_EXPIRY_DATE,
            ],
            EventKind::CouponRedeemed | EventKind::CouponReverted => REDEMPTION,
            EventKind::PointsCredited => &[
                WALLET_ID,
                WALLET_NAME,
                CAMPAIGN_ID,
                SOURCE,
                WALLET_DESCRIPTION,
                POINTS,
                TRANSACTION_ID,
            ],
            EventKind::PointsDebited => &[
                WALLET_ID,
                WALLET_NAME,
                SOURCE,
                WALLET_DESCRIPTION,
                POINTS,
                TRANSACTION_ID,
            ],
            EventKind::PartnerVoucherRewarded => &[
                CODE_NAME,
                VOUCHER_LIST_ID,
                CODE_DESCRIPTION,
                CODE_PROVIDER,
                CODE_SNIPPET_NAME,
                CAMPAIGN_ID,
                SOURCE,
                VOUCHER_CODE,
                VOUCHER_EXPIRY_DATE,
                EVENT_TIMESTAMP,
            ],
        }
    }

    /// Whether the event carries `property`.
    pub fn carries(self, property: PropertyId) -> bool {
        self.properties().contains(&property)
    }

    /// The event `name` is a slip of (see [`suggest`] for the rule), for "did you mean".
    pub fn suggest(name: &str) -> Option<EventKind> {
        let found = suggest(name, EventKind::ALL.iter().map(|e| e.name()))?;
        EventKind::from_name(found)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Property {
    /// The property's id.
    pub fn id(&self) -> PropertyId {
        let index = PROPERTIES
            .iter()
            .position(|p| std::ptr::eq(p, self))
            .unwrap_or(0);
        PropertyId(index as u8)
    }

    /// The events that carry this property.
    pub fn events(&self) -> Vec<EventKind> {
        let id = self.id();
        EventKind::ALL
            .into_iter()
            .filter(|e| e.carries(id))
            .collect()
    }
}

/// The property an input record may call `name`: any template name, the camelCase one,
/// or one of its further input names (CleverTap's current names).
pub fn lookup_input(name: &str) -> Option<PropertyId> {
    lookup(name).or_else(|| {
        PROPERTIES
            .iter()
            .position(|p| p.camel == name || p.inputs.contains(&name))
            .map(|i| PropertyId(i as u8))
    })
}

/// The property `name` is a slip of, by any of its names (canonical, snake_case,
/// camelCase, aliases, input names), for "did you mean": the crate's one rule,
/// [`suggest`].
pub fn suggest_property(name: &str) -> Option<PropertyId> {
    let names = PROPERTIES.iter().flat_map(|p| {
        [p.name, p.snake, p.camel]
            .into_iter()
            .chain(p.aliases.iter().copied())
            .chain(p.inputs.iter().copied())
    });
    suggest(name, names).and_then(lookup_input)
}

/// The schema as Markdown: a table of the events, then one of the properties. The
/// README shows it and `promo-liquid schema --format markdown` prints it.
pub fn markdown() -> String {
    let mut out =
        String::from("| Event | Description | Trigger | Properties |\n|---|---|---|---|\n");
    for event in EventKind::ALL {
        let props: Vec<&str> = event
            .properties()
            .iter()
            .map(|p| p.property().name)
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            event.name(),
            event.description(),
            event.trigger(),
            props.join(", ")
        ));
    }
    out.push('\n');
    out.push_str(&properties_table());
    out
}

fn properties_table() -> String {
    let mut out = String::from(
        "| Property | Liquid | Input (camelCase, CleverTap's current name) | Type | Presence | Events | Definition |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for p in PROPERTIES {
        let events: Vec<&str> = p.events().iter().map(|e| e.name()).collect();
        let presence = match p.presence {
            Presence::Required => "required".to_owned(),
            Presence::Optional => "optional".to_owned(),
            Presence::Conditional(when) => format!("{when} only"),
        };
        let mut liquid = format!("`Event[\"{}\"]`, `Event.{}`", p.name, p.snake);
        for alias in p
            .aliases
            .iter()
            .filter(|a| a.contains(' ') || a.chars().next().is_some_and(char::is_uppercase))
        {
            liquid.push_str(&format!(", `Event[\"{alias}\"]`"));
        }
        let mut input = format!("`{}`", p.camel);
        for name in p.inputs {
            input.push_str(&format!(", `{name}`"));
        }
        out.push_str(&format!(
            "| {} | {} | {} | {:?} | {} | {} | {} |\n",
            p.name,
            liquid,
            input,
            p.data_type,
            presence,
            events.join(", "),
            p.definition
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_has_six_events_and_twenty_three_properties_and_we_add_three() {
        assert_eq!(EventKind::ALL.len(), 6);
        // Voucher Code, Voucher Expiry Date and Event Timestamp, from CleverTap's
        // current documentation.
        assert_eq!(PROPERTY_COUNT, 26);
    }

    #[test]
    fn clevertap_current_voucher_names_reach_the_spec_properties() {
        for (current, property) in [
            ("voucherCode", "Voucher Code"),
            ("voucherListId", "Voucher List Id"),
            ("partner", "Code Provider"),
            ("listDescription", "Code Description"),
            ("listTag", "Code Snippet Name"),
            ("listExpiry", "Voucher Expiry Date"),
            ("campaignId", "Campaign Id"),
            ("source", "Source"),
            ("eventTimestamp", "Event Timestamp"),
        ] {
            let id = lookup_input(current).unwrap_or_else(|| panic!("{current}"));
            assert_eq!(id.property().name, property, "{current}");
            assert!(EventKind::PartnerVoucherRewarded.carries(id), "{current}");
        }
        // Input names, not template names (as camelCase ones are).
        assert_eq!(lookup("partner"), None);
        assert_eq!(lookup("listTag"), None);
    }

    #[test]
    fn every_voucher_record_naming_satisfies_the_required_properties() {
        // Required are only the properties both namings carry.
        let both = [
            "Voucher List Id",
            "Code Provider",
            "Code Snippet Name",
            "Campaign Id",
            "Source",
        ];
        let required: Vec<&str> = EventKind::PartnerVoucherRewarded
            .properties()
            .iter()
            .map(|p| p.property())
            .filter(|p| p.presence == Presence::Required)
            .map(|p| p.name)
            .collect();
        assert_eq!(required, both);
    }

    #[test]
    fn every_property_is_carried_by_some_event() {
        for p in PROPERTIES {
            assert!(!p.events().is_empty(), "{} is on no event", p.name);
        }
    }

    #[test]
    fn names_aliases_and_camel_case_reach_the_same_property() {
        assert_eq!(lookup("Coupon Code"), Some(prop::COUPON_CODE));
        assert_eq!(lookup("coupon_code"), Some(prop::COUPON_CODE));
        assert_eq!(lookup("couponCode"), None);
        assert_eq!(lookup_input("couponCode"), Some(prop::COUPON_CODE));
        assert_eq!(lookup("Description"), Some(prop::COUPON_DESCRIPTION));
    }

    #[test]
    fn wallet_name_is_on_both_wallet_events() {
        assert!(EventKind::PointsCredited.carries(prop::WALLET_NAME));
        assert!(EventKind::PointsDebited.carries(prop::WALLET_NAME));
        assert!(!EventKind::PointsDebited.carries(prop::CAMPAIGN_ID));
    }

    #[test]
    fn near_misses_find_their_property_and_event() {
        assert_eq!(suggest_property("Coupon Cod"), Some(prop::COUPON_CODE));
        assert_eq!(suggest_property("Pionts"), Some(prop::POINTS));
        assert_eq!(suggest_property("Soruce"), Some(prop::SOURCE));
        assert_eq!(suggest_property("walletID"), Some(prop::WALLET_ID));
        assert_eq!(suggest_property("zzzzzzzz"), None);
        assert_eq!(suggest_property("tier"), None);
        assert_eq!(
            EventKind::suggest("CT Coupon Rewarted"),
            Some(EventKind::CouponRewarded)
        );
        assert_eq!(EventKind::suggest("Coupon"), None);
    }

    #[test]
    fn ids_match_positions() {
        for (i, p) in PROPERTIES.iter().enumerate() {
            assert_eq!(p.id().index(), i);
        }
        assert_eq!(prop::CAMPAIGN_ID.property().name, "Campaign Id");
    }
}
