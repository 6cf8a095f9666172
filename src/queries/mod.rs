//! Read-only queries on a connected account: customers by email, payment history, subscription
//! status, charge lookup, refund verification, disputes, and a customer's context across every
//! connected app.
//!
//! The queries on one account live on its [`Account`] handle (`stripe.account(&id)` or
//! `stripe.app(&slug).await?`); the customer context, across every app, is on the client. Each
//! query checks its input (email, ids, limit) before anything is sent: bad input is
//! `invalid_input` with no request. Each call has one deadline (`config.timeout()`) for all its
//! requests, pages and retries; requests that do not depend on each other run concurrently,
//! within the per-account concurrency limit.
//!
//! ```no_run
//! use stripe_connect::{AccountId, Config, PaymentOptions, StripeConnect};
//!
//! # async fn run() -> Result<(), stripe_connect::Error> {
//! let stripe = StripeConnect::new(Config::from_env()?);
//! let acct = stripe.account(&AccountId::parse("acct_1032D82eZvKYlo2C")?);
//! let history = acct.payment_history("jenny.rosen@example.com", PaymentOptions::default().limit(25)).await?;
//! for p in &history.payments {
//!     println!("{} {} {} {}", p.id, p.amount, p.currency, p.status);
//! }
//! let context = stripe.customer_context("jenny.rosen@example.com", PaymentOptions::default()).await?;
//! for app in &context.apps {
//!     if let Some(e) = &app.error {
//!         eprintln!("{}: {}", app.app_slug, e.code); // the other apps still answered
//!     }
//! }
//! # Ok(()) }
//! ```

mod access;
mod account;
mod billing;
mod by;
mod context;
mod declines;
mod types;

use std::collections::{BTreeSet, HashMap};

use futures::future::try_join_all;

use crate::api::list::List;
use crate::api::Api;
use crate::client::StripeConnect;
use crate::error::{Error, StripeError};
use crate::ids::shorten;
pub use access::{AccessCheck, AccessReport, Capability};
pub use account::{Account, ListOptions, PaymentOptions};
pub use by::{DisputesOf, FraudWarningsOf, InvoicesOf, RefundsOf, SubscriptionsOf};
pub use declines::{explain_decline, DeclineReason, RetryAdvice};
pub use types::{
    AppContext, AppFailure, BillingTimeline, ChargeDetails, Customer, CustomerContext, CustomerMatches, Dispute,
    Disputes, EarlyFraudWarning, EarlyFraudWarnings, FailedPayment, FailedPayments, Invoice, InvoicePayment, Invoices,
    Payment, PaymentHistory, Refund, Refunds, SearchFallback, Subscription, SubscriptionStatus, TimelineEntry,
};
use types::{WireCharge, WireCustomer, WireDispute, WireProduct, WireSubscription};

/// Payments returned when no limit is given.
pub const DEFAULT_PAYMENT_LIMIT: u32 = 25;
/// Largest payment limit (Stripe's largest page).
pub const MAX_PAYMENT_LIMIT: u32 = 100;
/// Most customer objects read for one email (list and search each).
const MAX_CUSTOMERS: usize = 300;
/// Most subscriptions read per customer.
const MAX_SUBSCRIPTIONS: usize = 300;
/// Most charges scanned per customer when looking for disputes by email.
const MAX_DISPUTE_SCAN: usize = 300;
/// Longest email accepted.
const MAX_EMAIL_LEN: usize = 512;
/// Shortest email accepted: `a@b`.
const MIN_EMAIL_LEN: usize = 3;

/// An email that is safe to send as a list filter and inside a search query's quotes.
#[derive(Debug, Clone)]
pub(crate) struct Email(String);

impl Email {
    /// Trims surrounding whitespace; then one `@` with something on both sides, no whitespace,
    /// control characters, quotes or backslashes (they would break out of the search query).
    pub(crate) fn parse(raw: &str) -> Result<Email, Error> {
        let e = raw.trim();
        let bad = |reason: String| Err(Error::invalid_input("email", reason));
        if e.is_empty() {
            return bad("must not be empty".into());
        }
        if e.len() > MAX_EMAIL_LEN {
            return bad(format!("is longer than {MAX_EMAIL_LEN} characters"));
        }
        if let Some(c) = e.chars().find(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\')) {
            return bad(format!("{:?} contains {c:?}", shorten(e)));
        }
        match e.split_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@') => {
                Ok(Email(e.to_string()))
            }
            _ => bad(format!("{:?} is not an email address (expected name@domain)", shorten(e))),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    fn search_query(&self) -> String {
        format!("email:\"{}\"", self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(crate::ids::de_error)
    }
}

// The lengths `Email::parse` allows (its other rules are not a pattern a model needs).
crate::ids::inline_json_schema!(
    Email,
    schemars::json_schema!({ "type": "string", "minLength": MIN_EMAIL_LEN, "maxLength": MAX_EMAIL_LEN })
);

/// A limit of 1–100, default [`DEFAULT_PAYMENT_LIMIT`].
pub(crate) fn check_limit(limit: Option<u32>) -> Result<usize, Error> {
    match limit.unwrap_or(DEFAULT_PAYMENT_LIMIT) {
        l @ 1..=MAX_PAYMENT_LIMIT => Ok(l as usize),
        l => Err(Error::invalid_input("limit", format!("must be 1 to {MAX_PAYMENT_LIMIT}, got {l}"))),
    }
}

fn newest_first<T>(items: &mut [T], key: impl Fn(&T) -> (Option<i64>, &str)) {
    items.sort_by(|a, b| key(b).cmp(&key(a)));
}

/// The list (exact case) and the search (any case) together, merged by id. A failed search is
/// reported in `search_fallback`, a failed list fails the call. A complete answer is reused from
/// the client's cache for `config.cache_ttl()` (unless the call is [`StripeConnect::fresh`]).
pub(crate) async fn find_customers(
    stripe: &StripeConnect,
    api: &Api<'_>,
    email: &Email,
) -> Result<CustomerMatches, StripeError> {
    let cache = &stripe.inner.customers;
    let account = api.account().as_str();
    if !api.fresh() {
        if let Some(hit) = cache.get::<CustomerMatches>(account, email.as_str()) {
            return Ok(hit);
        }
    }
    // Taken before any request: a deauthorization or disconnect while they are under way voids
    // it, so an answer about an account that is no longer connected is never kept.
    let ticket = cache.ticket(account);
    let found = read_customers(api, email, stripe.now()).await?;
    // Only a complete answer: with the search failed, customers in another letter case may be
    // missing, and the next call should try again.
    if found.search_fallback.is_none() {
        cache.put(account, email.as_str(), found.clone(), ticket);
    }
    Ok(found)
}

async fn read_customers(api: &Api<'_>, email: &Email, fetched_at: i64) -> Result<CustomerMatches, StripeError> {
    let list =
        api.list_all::<WireCustomer>(&["v1", "customers"], vec![("email", email.as_str().to_string())], MAX_CUSTOMERS);
    let search = api.search_all::<WireCustomer>(&["v1", "customers", "search"], email.search_query(), MAX_CUSTOMERS);
    let (list, search) = futures::join!(list, search);
    let mut customers: Vec<Customer> = list?.into_iter().map(Customer::from).collect();
    let wanted = email.as_str().to_lowercase();
    let search_fallback = match search {
        Ok(found) => {
            for c in found {
                let same = c.email.as_deref().is_some_and(|e| e.to_lowercase() == wanted);
                if same && !customers.iter().any(|k| k.id == c.id) {
                    customers.push(c.into());
                }
            }
            None
        }
        Err(e) => Some(SearchFallback { code: e.code().to_string(), message: e.to_string() }),
    };
    newest_first(&mut customers, |c| (c.created, &c.id));
    Ok(CustomerMatches { customers, search_fallback, fetched_at })
}

/// The newest `limit` charges of each customer, concurrently, merged newest first and cut to
/// `limit`. The flag says whether more exist. Each customer's list is read on until it has
/// `limit` charges or none more: a short page with `has_more` is not the end of it.
pub(crate) async fn charges_of(
    api: &Api<'_>,
    customer_ids: &[String],
    limit: usize,
) -> Result<(Vec<Payment>, bool), StripeError> {
    let (charges, has_more) = wire_charges_of(api, customer_ids, limit).await?;
    Ok((charges.into_iter().map(Payment::from).collect(), has_more))
}

/// [`charges_of`] as Stripe sent them (the failed ones' outcome and payment intent included).
pub(crate) async fn wire_charges_of(
    api: &Api<'_>,
    customer_ids: &[String],
    limit: usize,
) -> Result<(Vec<WireCharge>, bool), StripeError> {
    newest_of(api, &["v1", "charges"], customer_ids, &[], limit, |c: &WireCharge| (Some(c.created), c.id.clone())).await
}

/// The newest `limit` objects of list `path` for each customer (`customer=…` and `extra`),
/// concurrently, merged newest first by `key` and cut to `limit`; the flag says whether more
/// exist. Each customer's list is read on until it has `limit` objects or none more.
pub(crate) async fn newest_of<T: serde::de::DeserializeOwned + crate::api::list::HasId>(
    api: &Api<'_>,
    path: &[&str],
    customer_ids: &[String],
    extra: &[(&'static str, &str)],
    limit: usize,
    key: impl Fn(&T) -> (Option<i64>, String),
) -> Result<(Vec<T>, bool), StripeError> {
    let lists = try_join_all(customer_ids.iter().map(|id| {
        let mut q = vec![("customer", id.clone())];
        q.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        api.list_up_to::<T>(path, q, limit)
    }))
    .await?;
    let mut has_more = lists.iter().any(|(_, more)| *more);
    let mut all: Vec<T> = lists.into_iter().flat_map(|(data, _)| data).collect();
    all.sort_by_key(|x| std::cmp::Reverse(key(x)));
    if all.len() > limit {
        all.truncate(limit);
        has_more = true;
    }
    Ok((all, has_more))
}

/// Every subscription (`status=all`) of each customer, concurrently, newest first. Plan names
/// that need the product are filled by [`name_plans`].
pub(crate) async fn subscriptions_of(api: &Api<'_>, customer_ids: &[String]) -> Result<Vec<Subscription>, StripeError> {
    let lists = try_join_all(customer_ids.iter().map(|id| {
        api.list_all::<WireSubscription>(
            &["v1", "subscriptions"],
            vec![("customer", id.clone()), ("status", "all".to_string())],
            MAX_SUBSCRIPTIONS,
        )
    }))
    .await?;
    let mut subs: Vec<Subscription> = lists.into_iter().flatten().map(Subscription::from).collect();
    newest_first(&mut subs, |s| (s.created, &s.id));
    Ok(subs)
}

/// Most products read in the one account-wide page of [`known_products`] (Stripe's largest page).
const PRODUCT_PAGE: usize = 100;
/// Most disputes read in the one account-wide page of [`recent_disputes`] (Stripe's largest page).
const DISPUTE_PAGE: usize = 100;

/// Product names from one page of the account's newest products (`GET /v1/products?limit=100`,
/// active or not), read while the subscriptions are still being listed: their product ids are not
/// known yet, and expanding `data.items.data.price.product` on the subscription list would be five
/// levels (Stripe allows four). On most accounts that page holds every product, so naming the plans
/// needs no request after the subscriptions; [`name_plans`] looks up the rest.
///
/// Best effort, like [`name_plans`]: a failed page is an empty map.
pub(crate) async fn known_products(api: &Api<'_>) -> HashMap<String, String> {
    match api.get::<List<WireProduct>>(&["v1", "products"], vec![("limit", PRODUCT_PAGE.to_string())]).await {
        Ok(page) => page.data.into_iter().filter_map(|p| Some((p.id, p.name?))).collect(),
        Err(_) => HashMap::new(),
    }
}

/// Fills the plan names that `names` (product id → name) knows, for subscriptions without one.
pub(crate) fn name_plans_from(subs: &mut [Subscription], names: &HashMap<String, String>) {
    for s in subs.iter_mut().filter(|s| s.plan_name.is_none()) {
        s.plan_name = s.product_id.as_ref().and_then(|id| names.get(id).cloned());
    }
}

/// Product names for subscriptions whose price has no nickname (and whose name is not known yet):
/// one `GET /v1/products?ids[]=…` per 100 products (expanding `data.items.data.price.product`
/// would be five levels; Stripe allows four). Sends nothing when every plan is named.
///
/// Best effort: a plan name is a label, so if the lookup fails (a restricted key without product
/// access, a rate limit) the names stay `None` and the subscriptions, payments and disputes that
/// were read are still returned.
pub(crate) async fn name_plans(api: &Api<'_>, subs: &mut [Subscription]) {
    let wanted: BTreeSet<String> =
        subs.iter().filter(|s| s.plan_name.is_none()).filter_map(|s| s.product_id.clone()).collect();
    let wanted: Vec<String> = wanted.into_iter().collect();
    // Read on past a short page with `has_more`, like every list (one request when it is full).
    let Ok(pages) = try_join_all(wanted.chunks(100).map(|ids| {
        let q: Vec<(&'static str, String)> = ids.iter().map(|id| ("ids[]", id.clone())).collect();
        api.list_all::<WireProduct>(&["v1", "products"], q, ids.len())
    }))
    .await
    else {
        return;
    };
    let names: HashMap<String, String> = pages.into_iter().flatten().filter_map(|p| Some((p.id, p.name?))).collect();
    name_plans_from(subs, &names);
}

/// One page of the account's newest disputes (`GET /v1/disputes?limit=100`, with
/// `created[gte]=since` when given), read alongside the charges so that the disputes of the
/// disputed charges are usually known without a request per charge. See [`recent_disputes`].
pub(crate) struct RecentDisputes {
    disputes: Vec<Dispute>,
    /// The page holds every dispute created at or after this (`None`: every dispute at all).
    complete_from: Option<i64>,
}

/// The account's newest disputes created at or after `since`, one page; `None` if that page could
/// not be read (then every disputed charge gets its own request, as it would without the page).
pub(crate) async fn recent_disputes(api: &Api<'_>, since: Option<i64>) -> Option<RecentDisputes> {
    let mut q = vec![("limit", DISPUTE_PAGE.to_string())];
    if let Some(t) = since {
        q.push(("created[gte]", t.to_string()));
    }
    let page: List<WireDispute> = api.get(&["v1", "disputes"], q).await.ok()?;
    let disputes: Vec<Dispute> = page.data.into_iter().map(Dispute::from).collect();
    let complete_from = complete_from(disputes.iter().map(|d| d.created), page.has_more, since);
    Some(RecentDisputes { disputes, complete_from })
}

/// From when a page (its objects' `created`) read with `created[gte]=since` holds every object.
pub(crate) fn complete_from(created: impl Iterator<Item = i64>, has_more: bool, since: Option<i64>) -> Option<i64> {
    if !has_more {
        return since;
    }
    // Lists are newest first: everything newer than the oldest object of the page is in it.
    // Objects created in that same second may continue on the next page, hence `+ 1`.
    let oldest = created.min().unwrap_or(i64::MAX);
    Some(oldest.saturating_add(1).max(since.unwrap_or(i64::MIN)))
}

/// The disputes of the disputed charges `(id, created)`: taken from `recent` for a charge the page
/// answers for — one created no earlier than the page is complete from (a dispute is never older
/// than its charge, so all of that charge's disputes are in the page) and with a dispute in it —
/// and otherwise left to a request per charge (the ids returned). The same disputes either way.
pub(crate) fn split_disputes(
    recent: Option<&RecentDisputes>,
    disputed: &[(String, i64)],
) -> (Vec<Dispute>, Vec<String>) {
    let mut known = Vec::new();
    let mut ask = Vec::new();
    for (charge, created) in disputed {
        let from_page: Vec<&Dispute> = match recent {
            Some(r) if r.complete_from.is_none_or(|t| *created >= t) => {
                r.disputes.iter().filter(|d| d.charge_id.as_deref() == Some(charge.as_str())).collect()
            }
            _ => Vec::new(),
        };
        if from_page.is_empty() {
            // Older than the page covers, or flagged disputed with no dispute in it: ask Stripe.
            ask.push(charge.clone());
        } else {
            known.extend(from_page.into_iter().cloned());
        }
    }
    (known, ask)
}

/// `known` and the disputes of the `ask` charges (one request per charge, concurrently), newest
/// first.
pub(crate) async fn disputes_with(
    api: &Api<'_>,
    mut known: Vec<Dispute>,
    ask: &[String],
) -> Result<Vec<Dispute>, StripeError> {
    known.extend(disputes_of(api, ask).await?);
    newest_first(&mut known, |d| (Some(d.created), &d.id));
    Ok(known)
}

/// The oldest `created` of `customers`, if every one has it: no charge made for one of them, and
/// so no dispute on such a charge, is older (a charge attached to a customer after the fact can
/// be; [`split_disputes`] then asks about it).
pub(crate) fn oldest_created(customers: &[Customer]) -> Option<i64> {
    customers.iter().map(|c| c.created).collect::<Option<Vec<i64>>>()?.into_iter().min()
}

/// The disputes of each charge, concurrently, newest first.
pub(crate) async fn disputes_of(api: &Api<'_>, charge_ids: &[String]) -> Result<Vec<Dispute>, StripeError> {
    let lists = try_join_all(
        charge_ids.iter().map(|id| api.list_all::<WireDispute>(&["v1", "disputes"], vec![("charge", id.clone())], 100)),
    )
    .await?;
    let mut disputes: Vec<Dispute> = lists.into_iter().flatten().map(Dispute::from).collect();
    newest_first(&mut disputes, |d| (Some(d.created), &d.id));
    Ok(disputes)
}

fn ids_of(customers: &[Customer]) -> Vec<String> {
    customers.iter().map(|c| c.id.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse("  Jenny.Rosen@Example.com ").unwrap().as_str(), "Jenny.Rosen@Example.com");
        assert_eq!(Email::parse("a+b@x").unwrap().search_query(), "email:\"a+b@x\"");
        for bad in
            ["", "   ", "no-at-sign", "@x.com", "a@", "a@b@c", "a b@c.com", "a\"@b.com", "a\\@b.com", "a@b.com\n\"x"]
        {
            assert_eq!(Email::parse(bad).unwrap_err().code(), "invalid_input", "{bad:?}");
        }
        assert_eq!(Email::parse(&format!("{}@x.com", "a".repeat(600))).unwrap_err().code(), "invalid_input");
    }

    fn dispute(id: &str, charge: &str, created: i64) -> Dispute {
        Dispute {
            id: id.into(),
            amount: 1,
            currency: "usd".into(),
            charge_id: Some(charge.into()),
            payment_intent_id: None,
            reason: None,
            status: "needs_response".into(),
            evidence_due_by: None,
            is_charge_refundable: false,
            created,
        }
    }

    fn ids(ds: &[Dispute]) -> Vec<&str> {
        ds.iter().map(|d| d.id.as_str()).collect()
    }

    #[test]
    fn the_dispute_page_answers_only_for_charges_it_covers_entirely() {
        let charges = |list: &[(&str, i64)]| -> Vec<(String, i64)> {
            list.iter().map(|(id, created)| (id.to_string(), *created)).collect()
        };
        // Complete since 10: a charge from 10 on is answered; an older one (attached to the
        // customer later) is asked about even though the page holds one of its disputes.
        let page = RecentDisputes {
            disputes: vec![dispute("dp_a", "ch_a", 40), dispute("dp_old", "ch_old", 12)],
            complete_from: Some(10),
        };
        let (known, ask) = split_disputes(Some(&page), &charges(&[("ch_a", 10), ("ch_old", 9), ("ch_none", 30)]));
        assert_eq!((ids(&known), ask), (vec!["dp_a"], vec!["ch_old".to_string(), "ch_none".to_string()]));
        // A full page (`has_more`) whose oldest dispute is from 20: it covers charges from 21 on;
        // a charge from 20 may have another dispute from that second on the next page.
        let page = RecentDisputes {
            disputes: vec![dispute("dp_b", "ch_b", 25), dispute("dp_c", "ch_c", 20), dispute("dp_c2", "ch_c", 30)],
            complete_from: None,
        };
        let created = || page.disputes.iter().map(|d| d.created);
        assert_eq!(complete_from(created(), true, Some(3)), Some(21));
        assert_eq!(complete_from(created(), false, Some(3)), Some(3));
        assert_eq!(complete_from(created(), false, None), None);
        assert_eq!(complete_from(std::iter::empty(), true, None), Some(i64::MAX), "an empty full page covers nothing");
        let full = RecentDisputes { complete_from: complete_from(created(), true, None), ..page };
        let (known, ask) = split_disputes(Some(&full), &charges(&[("ch_b", 21), ("ch_c", 20)]));
        assert_eq!((ids(&known), ask), (vec!["dp_b"], vec!["ch_c".to_string()]));
        // Complete: every dispute of a charge, several if it has several.
        let all = RecentDisputes { complete_from: None, ..full };
        let (known, ask) = split_disputes(Some(&all), &charges(&[("ch_c", 1)]));
        assert_eq!((ids(&known), ask), (vec!["dp_c", "dp_c2"], Vec::<String>::new()));
        // No page (it failed): every disputed charge is asked about.
        let (known, ask) = split_disputes(None, &charges(&[("ch_c", 1)]));
        assert_eq!((known.len(), ask), (0, vec!["ch_c".to_string()]));
    }

    #[test]
    fn oldest_customer() {
        let c = |created: Option<i64>| Customer { id: "cus_1".into(), email: None, name: None, created };
        assert_eq!(oldest_created(&[c(Some(5)), c(Some(3))]), Some(3));
        assert_eq!(oldest_created(&[c(Some(5)), c(None)]), None);
        assert_eq!(oldest_created(&[]), None);
    }

    #[test]
    fn limits() {
        assert_eq!(check_limit(None).unwrap(), 25);
        assert_eq!(check_limit(Some(1)).unwrap(), 1);
        assert_eq!(check_limit(Some(100)).unwrap(), 100);
        for bad in [0, 101, u32::MAX] {
            assert_eq!(check_limit(Some(bad)).unwrap_err().code(), "invalid_input");
        }
    }
}
