//! [`Account`]: one connected account to ask, from [`StripeConnect::account`] (by id) or
//! [`StripeConnect::app`] (by app slug). Every per-account query lives here, so the account is
//! named once and each query has one entry point and one return type.

use std::fmt;

use futures::future::try_join_all;

use super::billing::{
    failed_attempts, fraud_candidates, fraud_page, fraud_warnings_by, fraud_warnings_on, intents_of, invoices_of,
    refunds_by, refunds_of_charges,
};
use super::types::{WireCharge, WireRefund};
use super::{
    charges_of, check_limit, disputes_of, disputes_with, find_customers, ids_of, name_plans, oldest_created,
    recent_disputes, split_disputes, subscriptions_of, wire_charges_of, BillingTimeline, ChargeDetails,
    CustomerMatches, Disputes, DisputesOf, EarlyFraudWarnings, Email, FailedPayments, FraudWarningsOf, Invoices,
    InvoicesOf, PaymentHistory, Refund, Refunds, RefundsOf, SubscriptionStatus, SubscriptionsOf, TimelineEntry,
    MAX_DISPUTE_SCAN,
};
use crate::api::Api;
use crate::client::StripeConnect;
use crate::error::Error;
use crate::ids::{AccountId, AppSlug, ChargeId, RefundId};
use crate::store::Connection;

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

/// The options of the list queries that are not payments ([`Account::invoices`],
/// [`Account::billing_timeline`]): like [`PaymentOptions`], so an option added later breaks no
/// caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Most items returned, newest first: 1–[`MAX_PAYMENT_LIMIT`](super::MAX_PAYMENT_LIMIT),
    /// default [`DEFAULT_PAYMENT_LIMIT`](super::DEFAULT_PAYMENT_LIMIT). Anything else is
    /// `invalid_input` when the query runs, before anything is sent.
    pub limit: Option<u32>,
}

impl ListOptions {
    /// At most `limit` items.
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
    /// `livemode_mismatch` when `connection` was made in the other mode than the secret key's (a
    /// live key cannot read a test-mode connection, nor a test key a live one). A key whose mode
    /// cannot be told (neither `_live_` nor `_test_`) is not checked.
    pub(crate) fn check_connection_mode(&self, connection: &Connection) -> Result<(), Error> {
        match self.config().secret_key().livemode() {
            Some(key) if key != connection.livemode => Err(Error::LivemodeMismatch {
                app_slug: connection.app_slug.as_str().to_string(),
                connection_livemode: connection.livemode,
            }),
            _ => Ok(()),
        }
    }

    /// The connected account `id`, to query. Nothing is read or sent until a query runs.
    pub fn account(&self, id: &AccountId) -> Account {
        Account { client: self.clone(), id: id.clone(), app: None }
    }

    /// The account connected for app `slug`, read from the connection store: `app_not_connected`
    /// if the app has none, `livemode_mismatch` if it was connected in the other mode than the
    /// secret key's, `store_failed` if the store fails or times out. Nothing is sent to Stripe
    /// here.
    pub async fn app(&self, slug: &AppSlug) -> Result<Account, Error> {
        let found =
            self.connections().get_by_slug(slug).await.map_err(|e| e.in_operation("connections.get_by_slug"))?;
        match found {
            Some(c) => {
                self.check_connection_mode(&c)?;
                Ok(Account { client: self.clone(), id: c.account_id, app: Some(c.app_slug) })
            }
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

    /// The client it queries through.
    pub(crate) fn client(&self) -> &StripeConnect {
        &self.client
    }

    /// A call on this account (its deadline starts now).
    pub(crate) fn api(&self) -> Api<'_> {
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

    /// The customers an email or id names: `(ids, search_fallback, fetched_at)`.
    async fn customers_of(
        &self,
        api: &Api<'_>,
        email: &Email,
    ) -> Result<(Vec<String>, Option<super::SearchFallback>, i64), Error> {
        let found = find_customers(&self.client, api, email).await?;
        Ok((ids_of(&found.customers), found.search_fallback, found.fetched_at))
    }

    /// The invoices, newest first, at most `options.limit`, of every customer with an email (a
    /// `&str`) or of one customer (a [`CustomerId`](crate::CustomerId)), each with its number,
    /// status, amounts, period, subscription, the hosted page and PDF links a support reply
    /// sends, and its payments (`GET /v1/invoices?customer=…&expand[]=data.payments`: Stripe
    /// returns an invoice's payments only when expanded).
    pub async fn invoices(&self, of: impl Into<InvoicesOf>, options: ListOptions) -> Result<Invoices, Error> {
        let limit = check_limit(options.limit)?;
        let api = self.api();
        let (customer_ids, search_fallback, fetched_at) = match of.into() {
            InvoicesOf::Email(email) => self.customers_of(&api, &Email::parse(&email)?).await?,
            InvoicesOf::Customer(customer) => (vec![customer.as_str().to_string()], None, self.client.now()),
        };
        let (invoices, has_more) = invoices_of(&api, &customer_ids, limit).await?;
        Ok(Invoices { customer_ids, invoices, has_more, search_fallback, fetched_at })
    }

    /// The failed payment attempts of every customer with `email`, newest first, at most
    /// `options.limit`: payment intents whose last attempt failed (waiting for a new payment
    /// method, or canceled after the failure) and failed charges, each once, with the issuer's
    /// decline code and Stripe's error code and message. Reads the newest `limit` payment intents
    /// and charges of each customer, concurrently.
    pub async fn failed_payments(&self, email: &str, options: PaymentOptions) -> Result<FailedPayments, Error> {
        let email = Email::parse(email)?;
        let limit = check_limit(options.limit)?;
        let api = self.api();
        let (customer_ids, search_fallback, fetched_at) = self.customers_of(&api, &email).await?;
        let ((intents, more_intents), (charges, more_charges)) =
            futures::try_join!(intents_of(&api, &customer_ids, limit), wire_charges_of(&api, &customer_ids, limit))?;
        let mut failed_payments = failed_attempts(&intents, &charges);
        let has_more = more_intents || more_charges || failed_payments.len() > limit;
        failed_payments.truncate(limit);
        Ok(FailedPayments { customer_ids, failed_payments, has_more, search_fallback, fetched_at })
    }

    /// Every refund of one charge (a [`ChargeId`]) or payment intent (a
    /// [`PaymentIntentId`](crate::PaymentIntentId)), newest first: `GET /v1/refunds?charge=…` or
    /// `?payment_intent=…`.
    pub async fn refunds(&self, of: impl Into<RefundsOf>) -> Result<Refunds, Error> {
        let fetched_at = self.client.now();
        let filter = match of.into() {
            RefundsOf::Charge(c) => ("charge", c.as_str().to_string()),
            RefundsOf::PaymentIntent(p) => ("payment_intent", p.as_str().to_string()),
        };
        let (refunds, has_more) = refunds_by(&self.api(), filter).await?;
        let refunds = refunds.into_iter().map(|r| Refund::read(r, fetched_at)).collect();
        Ok(Refunds { refunds, has_more, fetched_at })
    }

    /// Radar's early fraud warnings, newest first: on one charge or payment intent (one request),
    /// or on the charges of every customer with an email. Stripe's list has no customer filter,
    /// so by email this reads the customers' newest 100 charges each and, alongside them, one
    /// page of the account's newest 100 warnings, which answers for every charge created since
    /// its oldest warning; each older charge costs a request, for the newest
    /// 10 of them at most, and the rest are counted in `unchecked_charges`. So at most
    /// 3 + (customers) + 10 requests, in three round trips.
    pub async fn early_fraud_warnings(&self, of: impl Into<FraudWarningsOf>) -> Result<EarlyFraudWarnings, Error> {
        let api = self.api();
        let one = |warnings| EarlyFraudWarnings {
            warnings,
            unchecked_charges: 0,
            search_fallback: None,
            fetched_at: self.client.now(),
        };
        let email = match of.into() {
            FraudWarningsOf::Email(email) => Email::parse(&email)?,
            FraudWarningsOf::Charge(c) => {
                return Ok(one(fraud_warnings_by(&api, ("charge", c.as_str().to_string())).await?))
            }
            FraudWarningsOf::PaymentIntent(p) => {
                return Ok(one(fraud_warnings_by(&api, ("payment_intent", p.as_str().to_string())).await?))
            }
        };
        let (customer_ids, search_fallback, fetched_at) = self.customers_of(&api, &email).await?;
        if customer_ids.is_empty() {
            return Ok(EarlyFraudWarnings { warnings: Vec::new(), unchecked_charges: 0, search_fallback, fetched_at });
        }
        let ((charges, _), page) =
            futures::try_join!(wire_charges_of(&api, &customer_ids, super::MAX_PAYMENT_LIMIT as usize), async {
                Ok(fraud_page(&api).await)
            },)?;
        let (warnings, unchecked_charges) = fraud_warnings_on(&api, page.as_ref(), &fraud_candidates(&charges)).await?;
        Ok(EarlyFraudWarnings { warnings, unchecked_charges, search_fallback, fetched_at })
    }

    /// Everything billing knows of every customer with `email` on this account as one list,
    /// newest first, at most `options.limit` entries: charges, their refunds and disputes,
    /// invoices, failed payment attempts and early fraud warnings, each with its amount, status
    /// and id.
    ///
    /// Three round trips: the customers; then the newest `limit` charges, payment intents and
    /// invoices of each, with one page each of the account's newest disputes and early fraud
    /// warnings; then the refunds of each refunded charge read, the disputes and fraud warnings
    /// the pages do not answer for (see [`Account::disputes`], [`Account::early_fraud_warnings`]).
    pub async fn billing_timeline(&self, email: &str, options: ListOptions) -> Result<BillingTimeline, Error> {
        let email = Email::parse(email)?;
        let limit = check_limit(options.limit)?;
        let api = self.api();
        let found = find_customers(&self.client, &api, &email).await?;
        let customer_ids = ids_of(&found.customers);
        let (search_fallback, fetched_at) = (found.search_fallback.clone(), found.fetched_at);
        if customer_ids.is_empty() {
            return Ok(BillingTimeline {
                customer_ids,
                entries: Vec::new(),
                has_more: false,
                search_fallback,
                fetched_at,
            });
        }
        let ((charges, more_charges), (intents, more_intents), (invoices, more_invoices), disputes_page, fraud) = futures::try_join!(
            wire_charges_of(&api, &customer_ids, limit),
            intents_of(&api, &customer_ids, limit),
            invoices_of(&api, &customer_ids, limit),
            async { Ok(recent_disputes(&api, oldest_created(&found.customers)).await) },
            async { Ok(fraud_page(&api).await) },
        )?;
        let refunded: Vec<String> = charges.iter().filter(|c| c.amount_refunded > 0).map(|c| c.id.clone()).collect();
        let disputed: Vec<(String, i64)> =
            charges.iter().filter(|c| c.disputed).map(|c| (c.id.clone(), c.created)).collect();
        let (known, ask) = split_disputes(disputes_page.as_ref(), &disputed);
        let candidates = fraud_candidates(&charges);
        let (refunds, disputes, (warnings, _)) = futures::try_join!(
            refunds_of_charges(&api, &refunded, fetched_at),
            disputes_with(&api, known, &ask),
            fraud_warnings_on(&api, fraud.as_ref(), &candidates),
        )?;
        let mut entries = timeline_entries(&charges, &intents, &invoices, &refunds, &disputes, &warnings);
        let has_more = more_charges || more_intents || more_invoices || entries.len() > limit;
        entries.truncate(limit);
        Ok(BillingTimeline { customer_ids, entries, has_more, search_fallback, fetched_at })
    }
}

/// The timeline's lines, newest first: each charge that did not fail, each failed attempt (a
/// failed charge is one, with its decline), each refund, dispute, invoice and fraud warning (with
/// its charge's amount).
fn timeline_entries(
    charges: &[WireCharge],
    intents: &[super::types::WirePaymentIntent],
    invoices: &[super::Invoice],
    refunds: &[Refund],
    disputes: &[super::Dispute],
    warnings: &[super::EarlyFraudWarning],
) -> Vec<TimelineEntry> {
    let line =
        |at, kind: &str, id: &str, amount: Option<i64>, currency: Option<&str>, status: Option<&str>| TimelineEntry {
            at,
            kind: kind.to_string(),
            id: id.to_string(),
            amount,
            currency: currency.map(str::to_string),
            status: status.map(str::to_string),
        };
    let mut out = Vec::new();
    for c in charges.iter().filter(|c| c.status != "failed") {
        out.push(line(c.created, "charge", &c.id, Some(c.amount), Some(&c.currency), Some(&c.status)));
    }
    for f in failed_attempts(intents, charges) {
        out.push(line(f.created, "failed_payment", &f.id, Some(f.amount), Some(&f.currency), Some(&f.status)));
    }
    for r in refunds {
        out.push(line(r.created, "refund", &r.id, Some(r.amount), Some(&r.currency), r.status.as_deref()));
    }
    for d in disputes {
        out.push(line(d.created, "dispute", &d.id, Some(d.amount), Some(&d.currency), Some(&d.status)));
    }
    for i in invoices {
        out.push(line(i.created, "invoice", &i.id, Some(i.amount_due), Some(&i.currency), i.status.as_deref()));
    }
    for w in warnings {
        let charge = charges.iter().find(|c| w.charge_id.as_deref() == Some(c.id.as_str()));
        out.push(line(
            w.created,
            "fraud_warning",
            &w.id,
            charge.map(|c| c.amount),
            charge.map(|c| c.currency.as_str()),
            Some(&w.fraud_type),
        ));
    }
    out.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
    out
}
