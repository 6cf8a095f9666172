//! [`Account`]: one connected account to ask, from [`StripeConnect::account`] (by id) or
//! [`StripeConnect::app`] (by app slug). Every per-account query lives here, so the account is
//! named once and each query has one entry point and one return type.

use std::fmt;

use futures::future::try_join_all;

use super::types::{WireCharge, WireRefund};
use super::{
    charges_of, check_limit, disputes_of, disputes_with, find_customers, ids_of, name_plans, oldest_created,
    recent_disputes, split_disputes, subscriptions_of, ChargeDetails, CustomerMatches, Disputes, DisputesOf, Email,
    PaymentHistory, Refund, SubscriptionStatus, SubscriptionsOf, MAX_DISPUTE_SCAN,
};
use crate::api::Api;
use crate::client::StripeConnect;
use crate::error::Error;
use crate::ids::{AccountId, AppSlug, ChargeId, RefundId};

/// The options of the queries that return payments ([`Account::payment_history`] and
/// [`StripeConnect::customer_context`]). Required inputs are arguments; optional ones live here,
/// so a call reads `payment_history(email, PaymentOptions::default().limit(10))` rather than
/// `payment_history(email, Some(10))`, and an option added later breaks no caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentOptions {
    /// Most payments returned, newest first: 1–[`MAX_PAYMENT_LIMIT`](super::MAX_PAYMENT_LIMIT),
    /// default [`DEFAULT_PAYMENT_LIMIT`](super::DEFAULT_PAYMENT_LIMIT). Anything else is
    /// `invalid_input` when the query runs, before anything is sent.
    pub limit: Option<u32>,
}

impl PaymentOptions {
    /// At most `limit` payments.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// A connected account to query. Cheap to clone (it shares the client); the queries on it only
/// read. Built by [`StripeConnect::account`] or [`StripeConnect::app`].
#[derive(Clone)]
pub struct Account {
    client: StripeConnect,
    id: AccountId,
    app: Option<AppSlug>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id.as_str())
            .field("app_slug", &self.app.as_ref().map(AppSlug::as_str))
            .field("fresh", &self.client.fresh)
            .finish()
    }
}

impl StripeConnect {
    /// The connected account `id`, to query. Nothing is read or sent until a query runs.
    pub fn account(&self, id: &AccountId) -> Account {
        Account { client: self.clone(), id: id.clone(), app: None }
    }

    /// The account connected for app `slug`, read from the connection store: `app_not_connected`
    /// if the app has none, `store_failed` if the store fails or times out. Nothing is sent to
    /// Stripe here.
    pub async fn app(&self, slug: &AppSlug) -> Result<Account, Error> {
        let found =
            self.connections().get_by_slug(slug).await.map_err(|e| e.in_operation("connections.get_by_slug"))?;
        match found {
            Some(c) => Ok(Account { client: self.clone(), id: c.account_id, app: Some(c.app_slug) }),
            None => Err(Error::AppNotConnected { app_slug: slug.as_str().to_string() }),
        }
    }
}

impl Account {
    pub fn id(&self) -> &AccountId {
        &self.id
    }

    /// The app it was found by, for a handle from [`StripeConnect::app`].
    pub fn app_slug(&self) -> Option<&AppSlug> {
        self.app.as_ref()
    }

    /// Whether its queries bypass the customer cache and request coalescing (see [`Self::fresh`]).
    pub fn is_fresh(&self) -> bool {
        self.client.fresh
    }

    /// The same account for queries that must read everything from Stripe now: no cached email →
    /// customers resolution, no joining an identical request already in flight.
    pub fn fresh(&self) -> Account {
        Account { client: self.client.fresh(), ..self.clone() }
    }

    /// A call on this account (its deadline starts now).
    fn api(&self) -> Api<'_> {
        self.client.api(&self.id)
    }

    /// Every customer object whose email matches `email`, in any letter case.
    ///
    /// Stripe's list filter (`GET /v1/customers?email=`) is case-sensitive, so the Search API
    /// (`email:"…"`, case-insensitive but eventually consistent) runs alongside it and the two are
    /// merged by id. If the search fails, the list's results come back with `search_fallback` set.
    pub async fn customers_by_email(&self, email: &str) -> Result<CustomerMatches, Error> {
        let email = Email::parse(email)?;
        Ok(find_customers(&self.client, &self.api(), &email).await?)
    }

    /// Charges of every customer with `email`, newest first, at most `options.limit`.
    pub async fn payment_history(&self, email: &str, options: PaymentOptions) -> Result<PaymentHistory, Error> {
        let email = Email::parse(email)?;
        let limit = check_limit(options.limit)?;
        let api = self.api();
        let found = find_customers(&self.client, &api, &email).await?;
        let customer_ids = ids_of(&found.customers);
        let (payments, has_more) = charges_of(&api, &customer_ids, limit).await?;
        Ok(PaymentHistory {
            customer_ids,
            payments,
            has_more,
            search_fallback: found.search_fallback,
            fetched_at: found.fetched_at,
        })
    }

    /// Every subscription, any status, newest first, of every customer with an email (a `&str`)
    /// or of one customer (a [`CustomerId`](crate::CustomerId), whose `customer_ids` is then just
    /// that id).
    pub async fn subscription_status(&self, of: impl Into<SubscriptionsOf>) -> Result<SubscriptionStatus, Error> {
        let api = self.api();
        let (customer_ids, search_fallback, fetched_at) = match of.into() {
            SubscriptionsOf::Email(email) => {
                let email = Email::parse(&email)?;
                let found = find_customers(&self.client, &api, &email).await?;
                (ids_of(&found.customers), found.search_fallback, found.fetched_at)
            }
            SubscriptionsOf::Customer(customer) => (vec![customer.as_str().to_string()], None, self.client.now()),
        };
        let mut subscriptions = subscriptions_of(&api, &customer_ids).await?;
        name_plans(&api, &mut subscriptions).await;
        Ok(SubscriptionStatus { customer_ids, subscriptions, search_fallback, fetched_at })
    }

    /// One charge by id (`stripe_not_found` if it is not on this account).
    pub async fn lookup_charge(&self, charge: &ChargeId) -> Result<ChargeDetails, Error> {
        let fetched_at = self.client.now();
        let c: WireCharge = self.api().get(&["v1", "charges", charge.as_str()], vec![]).await?;
        Ok(ChargeDetails::read(c, fetched_at))
    }

    /// One refund by id: did it go through, for how much, on which charge.
    pub async fn verify_refund(&self, refund: &RefundId) -> Result<Refund, Error> {
        let fetched_at = self.client.now();
        let r: WireRefund = self.api().get(&["v1", "refunds", refund.as_str()], vec![]).await?;
        Ok(Refund::read(r, fetched_at))
    }

    /// The disputes, newest first, on the charges of every customer with an email (a `&str`;
    /// their newest 300 charges each) or on one charge (a [`ChargeId`]).
    ///
    /// By email, the account's dispute page ([`recent_disputes`]) is read with the charges, as in
    /// the customer context, so a request per disputed charge is only needed for a charge it does
    /// not answer for: two round trips in the common case instead of three.
    pub async fn disputes(&self, of: impl Into<DisputesOf>) -> Result<Disputes, Error> {
        let api = self.api();
        let email = match of.into() {
            DisputesOf::Email(email) => Email::parse(&email)?,
            DisputesOf::Charge(charge) => {
                let fetched_at = self.client.now();
                let disputes = disputes_of(&api, &[charge.as_str().to_string()]).await?;
                return Ok(Disputes { disputes, search_fallback: None, fetched_at });
            }
        };
        let found = find_customers(&self.client, &api, &email).await?;
        if found.customers.is_empty() {
            return Ok(Disputes {
                disputes: Vec::new(),
                search_fallback: found.search_fallback,
                fetched_at: found.fetched_at,
            });
        }
        let (charges, recent) = futures::try_join!(
            try_join_all(found.customers.iter().map(|c| {
                api.list_all::<WireCharge>(&["v1", "charges"], vec![("customer", c.id.clone())], MAX_DISPUTE_SCAN)
            })),
            async { Ok(recent_disputes(&api, oldest_created(&found.customers)).await) },
        )?;
        let disputed: Vec<(String, i64)> =
            charges.into_iter().flatten().filter(|c| c.disputed).map(|c| (c.id, c.created)).collect();
        let (known, ask) = split_disputes(recent.as_ref(), &disputed);
        let disputes = disputes_with(&api, known, &ask).await?;
        Ok(Disputes { disputes, search_fallback: found.search_fallback, fetched_at: found.fetched_at })
    }
}
