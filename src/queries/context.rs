//! A customer across every connected app: payments, subscriptions and open disputes per app.
//!
//! Apps run concurrently and independently; within one app the requests follow the dependency
//! chain and nothing more, so the latency is two round trips in the common case, and three at
//! most, whatever the number of apps:
//!
//! 1. customers: list and search together;
//! 2. charges, subscriptions, payment intents and the newest invoice of all those customers
//!    together, and with them one page of the
//!    account's newest disputes (since the oldest of those customers was created) and one page of
//!    its products: the disputes of the disputed charges and the names of plans without a price
//!    nickname are usually found there, so no request has to wait for the charges or the
//!    subscriptions;
//! 3. only when the pages fall short: the disputes of each disputed charge the dispute page does
//!    not answer for (older than the page covers, or more disputes than a page holds), together
//!    with the names of products not in the product page.
//!
//! The answer is the same as asking about each disputed charge and product (see
//! [`super::split_disputes`]). (A list with more than one page adds its pages to its step.) One app
//! failing is reported in that app's `error` and does not fail the others.

use futures::future::join_all;

use super::billing::{failed_attempts, intents_of, invoices_of};
use super::{
    check_limit, disputes_with, find_customers, ids_of, known_products, name_plans, name_plans_from, oldest_created,
    recent_disputes, split_disputes, subscriptions_of, wire_charges_of, Email,
};
use super::{AppContext, AppFailure, CustomerContext, PaymentOptions};
use crate::client::StripeConnect;
use crate::error::{Error, StripeError};
use crate::store::Connection;

struct AppData {
    matches: super::CustomerMatches,
    payments: Vec<super::Payment>,
    payments_has_more: bool,
    subscriptions: Vec<super::Subscription>,
    open_disputes: Vec<super::Dispute>,
    latest_invoice: Option<super::Invoice>,
    recent_failures: u32,
}

impl StripeConnect {
    /// `email`'s payments (newest `options.limit` per app), subscriptions and open disputes in
    /// every app of the connection store. Fails only on bad input or when the store cannot list
    /// the connections; a failing app is reported in its own [`AppContext::error`].
    pub async fn customer_context(&self, email: &str, options: PaymentOptions) -> Result<CustomerContext, Error> {
        let email = Email::parse(email)?;
        let limit = check_limit(options.limit)?;
        let started = self.now();
        let connections = self.inner.connections.list().await?;
        let apps = join_all(connections.into_iter().map(|c| self.app_context(c, &email, limit))).await;
        // The oldest part: a cached customer resolution, or this call's own reads.
        let fetched_at = apps.iter().filter_map(|(_, at)| *at).fold(started, i64::min);
        let apps = apps.into_iter().map(|(app, _)| app).collect();
        Ok(CustomerContext { email: email.as_str().to_string(), apps, fetched_at })
    }

    /// One app's part, and when its customer resolution was read (if it was).
    pub(crate) async fn app_context(
        &self,
        connection: Connection,
        email: &Email,
        limit: usize,
    ) -> (AppContext, Option<i64>) {
        let mode = self.check_connection_mode(&connection);
        let data = match mode {
            Ok(()) => self.app_data(&connection, email, limit).await.map_err(Error::from),
            Err(e) => Err(e),
        };
        let mut ctx = AppContext {
            app_slug: connection.app_slug,
            account_id: connection.account_id,
            livemode: connection.livemode,
            customers: Vec::new(),
            payments: Vec::new(),
            payments_has_more: false,
            subscriptions: Vec::new(),
            open_disputes: Vec::new(),
            latest_invoice: None,
            recent_failures: 0,
            search_fallback: None,
            error: None,
        };
        let mut fetched_at = None;
        match data {
            Ok(d) => {
                fetched_at = Some(d.matches.fetched_at);
                ctx.customers = d.matches.customers;
                ctx.search_fallback = d.matches.search_fallback;
                ctx.payments = d.payments;
                ctx.payments_has_more = d.payments_has_more;
                ctx.subscriptions = d.subscriptions;
                ctx.open_disputes = d.open_disputes;
                ctx.latest_invoice = d.latest_invoice;
                ctx.recent_failures = d.recent_failures;
            }
            Err(e) => ctx.error = Some(AppFailure::from(&e)),
        }
        (ctx, fetched_at)
    }

    async fn app_data(&self, connection: &Connection, email: &Email, limit: usize) -> Result<AppData, StripeError> {
        let api = self.api(&connection.account_id);
        let matches = find_customers(self, &api, email).await?;
        let ids = ids_of(&matches.customers);
        if ids.is_empty() {
            return Ok(AppData {
                matches,
                payments: Vec::new(),
                payments_has_more: false,
                subscriptions: Vec::new(),
                open_disputes: Vec::new(),
                latest_invoice: None,
                recent_failures: 0,
            });
        }
        // The two account-wide pages go last, so the charges and subscriptions get the account's
        // concurrency permits first when there are many customers.
        // Both pages are best effort (a failed one only means more requests in step 3).
        // The newest invoice of each customer and their newest payment intents (the failed attempts
        // among them and the charges are counted) come in the same round trip. Both are best
        // effort, like the plan names: a key that may not read invoices or payment intents (a
        // restricted key without Billing access) leaves `latest_invoice` empty and counts the
        // failed charges only, rather than failing the app's whole context.
        let ((charges, payments_has_more), mut subscriptions, invoices, intents, recent, products) = futures::try_join!(
            wire_charges_of(&api, &ids, limit),
            subscriptions_of(&api, &ids),
            async { Ok(invoices_of(&api, &ids, 1).await.map(|(i, _)| i).unwrap_or_default()) },
            async { Ok(intents_of(&api, &ids, limit).await.map(|(p, _)| p).unwrap_or_default()) },
            async { Ok(recent_disputes(&api, oldest_created(&matches.customers)).await) },
            async { Ok(known_products(&api).await) },
        )?;
        let recent_failures = u32::try_from(failed_attempts(&intents, &charges).len()).unwrap_or(u32::MAX);
        let latest_invoice = invoices.into_iter().next();
        let payments: Vec<super::Payment> = charges.into_iter().map(super::Payment::from).collect();
        name_plans_from(&mut subscriptions, &products);
        let disputed: Vec<(String, i64)> =
            payments.iter().filter(|p| p.disputed).map(|p| (p.id.clone(), p.created)).collect();
        let (known, ask) = split_disputes(recent.as_ref(), &disputed);
        // Nothing is sent here unless a page fell short.
        let (disputes, ()) = futures::join!(disputes_with(&api, known, &ask), name_plans(&api, &mut subscriptions));
        let open_disputes = disputes?.into_iter().filter(|d| d.is_open()).collect();
        Ok(AppData {
            matches,
            payments,
            payments_has_more,
            subscriptions,
            open_disputes,
            latest_invoice,
            recent_failures,
        })
    }
}
