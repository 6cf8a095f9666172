//! `StripeConnect::handle_webhook`: verify, dedupe on `event.id`, act, report.
//!
//! Stripe delivers at least once, out of order, and retries failures for up to three days. So the
//! event id is taken as a *lease* before anything is done, and marked *done* only once the work
//! succeeded:
//! - a delivery that finds the event done does nothing (`duplicate`);
//! - one that finds a live lease fails with `webhook_in_progress` (answer 409: Stripe retries);
//! - one that finds an expired lease processes the event, whatever happened to the holder (it
//!   hung, crashed, or failed and could not give the lease back);
//! - the lease is fenced by a token made for this delivery: marking the event done or giving the
//!   lease back changes nothing once another delivery has taken the lease over (a holder that was
//!   paused past its lease wakes to find it is no longer its own).
//!
//! The stores and the sink get `webhook_timeout` (20 s by default); a failure or a timeout gives
//! the lease back and returns `store_failed`: the HTTP layer answers 5xx, Stripe redelivers, and
//! the event is processed then. Nothing is lost; an effect may repeat only when its holder was
//! abandoned mid-way (a timeout, a crash), so sinks are at-least-once and get the event id to
//! dedupe on.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::client::StripeConnect;
use crate::error::{ConfigError, Error, StoreError, WebhookError};
use crate::ids::{AccountId, AppSlug};
use crate::store::{ClaimState, DisputeAlert, Fence, FraudWarningAlert, LeaseToken};

use super::customer::{ChargeCustomer, Subject, DISPUTE_CUSTOMER_BUDGET};
use super::{construct_event, EventKind};

/// How long an event id stays *done*: Stripe retries for up to 3 days; a day of margin.
pub const EVENT_CLAIM_TTL: Duration = Duration::from_secs(4 * 24 * 3600);

/// The most time marking an event done, or giving its lease back, may take after the work (no
/// more than `webhook_timeout` either).
const FINISH_TIMEOUT: Duration = Duration::from_secs(2);

/// The lease on an event for a `webhook_timeout`: the work, the finishing step and a second for
/// the stores' whole-second clocks, in whole seconds. Its holder stops waiting on the stores
/// before the lease runs out, so two deliveries never both believe they hold it.
pub(crate) fn event_lease(webhook_timeout: Duration) -> Duration {
    let total = webhook_timeout + finish_timeout(webhook_timeout) + Duration::from_secs(1);
    Duration::from_secs(total.as_secs() + u64::from(total.subsec_nanos() > 0))
}

fn finish_timeout(webhook_timeout: Duration) -> Duration {
    webhook_timeout.min(FINISH_TIMEOUT)
}

/// What `handle_webhook` did with a verified event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WebhookOutcome {
    /// `account.application.deauthorized`: the connection was cleared (`app_slug` is the app it
    /// belonged to, `None` if no app was connected to that account).
    Disconnected { event_id: String, account_id: AccountId, app_slug: Option<AppSlug> },
    /// `charge.dispute.created`: the alert went to the dispute sink.
    DisputeRecorded { event_id: String, dispute_id: String, account_id: Option<AccountId>, app_slug: Option<AppSlug> },
    /// `radar.early_fraud_warning.created`: the alert went to the dispute sink (which takes them).
    FraudWarningRecorded {
        event_id: String,
        warning_id: String,
        account_id: Option<AccountId>,
        app_slug: Option<AppSlug>,
    },
    /// Already handled (marked done) under this event id: nothing was done.
    Duplicate { event_id: String, event_type: String },
    /// Verified, but nothing to do.
    Ignored { event_id: String, event_type: String, reason: IgnoreReason },
}

impl WebhookOutcome {
    pub fn event_id(&self) -> &str {
        match self {
            WebhookOutcome::Disconnected { event_id, .. }
            | WebhookOutcome::DisputeRecorded { event_id, .. }
            | WebhookOutcome::FraudWarningRecorded { event_id, .. }
            | WebhookOutcome::Duplicate { event_id, .. }
            | WebhookOutcome::Ignored { event_id, .. } => event_id,
        }
    }

    /// `disconnected`, `dispute_recorded`, `fraud_warning_recorded`, `duplicate` or `ignored`.
    pub fn kind(&self) -> &'static str {
        match self {
            WebhookOutcome::Disconnected { .. } => "disconnected",
            WebhookOutcome::DisputeRecorded { .. } => "dispute_recorded",
            WebhookOutcome::FraudWarningRecorded { .. } => "fraud_warning_recorded",
            WebhookOutcome::Duplicate { .. } => "duplicate",
            WebhookOutcome::Ignored { .. } => "ignored",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoreReason {
    /// An event type this library does not act on.
    UnhandledType,
    /// `livemode` differs from the configured mode.
    LivemodeMismatch,
}

impl StripeConnect {
    /// What an alert needs besides its event: the account's app (a store read within the
    /// delivery's budget) and the charge's customer. That read is best effort and bounded: the
    /// alert goes out whatever it gives, and at least half of the delivery's time (and what the
    /// read leaves) is the sink's.
    async fn alert_context(
        &self,
        account: Option<&AccountId>,
        charge: Option<&str>,
        subject: Subject,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<(Option<AppSlug>, ChargeCustomer), StoreError> {
        let app_slug = match account {
            Some(a) => Budget { deadline, timeout, operation: "connections.get_by_account", finishing: false }
                .run(self.connections().get_by_account(a))
                .await?
                .map(|c| c.app_slug),
            None => None,
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let budget = DISPUTE_CUSTOMER_BUDGET.min(self.config().timeout).min(left / 2);
        Ok((app_slug, self.charge_customer(account, charge, subject, budget).await))
    }

    /// Verify and act on one webhook delivery. `payload` is the raw request body, byte for byte.
    ///
    /// Errors: `webhook_*` for a delivery that is not a valid Stripe event (answer 400);
    /// `webhook_in_progress` when another delivery holds the event's lease (answer 409 with
    /// `Retry-After:` [`Error::retry_after_seconds`]); `store_failed` when a store or the sink
    /// failed or took longer than `webhook_timeout` (answer 5xx). Stripe retries every non-2xx,
    /// and a retry after the lease processes the event if no delivery completed it.
    pub async fn handle_webhook(
        &self,
        payload: &[u8],
        signature_header: Option<&str>,
    ) -> Result<WebhookOutcome, Error> {
        let config = self.config();
        if config.webhook_secrets.is_empty() {
            return Err(ConfigError::new(
                "webhook_secrets",
                "no webhook signing secret is configured (STRIPE_WEBHOOK_SECRET)",
            )
            .into());
        }
        let event =
            construct_event(payload, signature_header, &config.webhook_secrets, config.webhook_tolerance, self.now())?;

        if config.livemode.is_some_and(|mode| mode != event.livemode) {
            return Ok(WebhookOutcome::Ignored {
                event_id: event.id,
                event_type: event.event_type,
                reason: IgnoreReason::LivemodeMismatch,
            });
        }
        let opted_out =
            matches!(event.kind, EventKind::EarlyFraudWarningCreated(_)) && !self.dispute_sink().takes_fraud_warnings();
        if matches!(event.kind, EventKind::Other) || opted_out {
            // No side effect, so no claim needed: a redelivery is ignored again.
            return Ok(WebhookOutcome::Ignored {
                event_id: event.id,
                event_type: event.event_type,
                reason: IgnoreReason::UnhandledType,
            });
        }
        let account = match event.account.as_deref() {
            Some(a) => Some(AccountId::parse(a).map_err(|_| WebhookError::InvalidPayload {
                reason: format!("event.account {:?} is not an acct_ id", crate::ids::shorten(a)),
            })?),
            None => None,
        };

        let claim_key = format!("webhook:{}", event.id);
        let claims = self.claims();
        let timeout = config.webhook_timeout;
        let lease = event_lease(timeout);
        let deadline = Instant::now() + timeout;
        let within = |operation: &'static str| Budget { deadline, timeout, operation, finishing: false };

        // Not given back if it fails or times out: it may have landed, and the lease runs out by itself.
        // The token fences this delivery's lease: once another delivery takes it over, this one's
        // `complete` and `release` change nothing.
        let token = LeaseToken::generate();
        let state = within("claims.acquire")
            .run(claims.acquire(&claim_key, &token, lease))
            .await
            .map_err(|e| e.in_operation("claims.acquire"))?;
        match state {
            ClaimState::Acquired => {}
            ClaimState::Done => {
                return Ok(WebhookOutcome::Duplicate { event_id: event.id, event_type: event.event_type })
            }
            ClaimState::InProgress => {
                return Err(WebhookError::InProgress { event_id: event.id, retry_after_seconds: lease.as_secs() }.into())
            }
        }

        let result = match event.kind {
            EventKind::ApplicationDeauthorized(_) => {
                let Some(account_id) = account else {
                    // Signed by Stripe but useless: release so that nothing is remembered about it.
                    let _ = Budget::finishing(timeout, "claims.release").run(claims.release(&claim_key, &token)).await;
                    return Err(WebhookError::InvalidPayload {
                        reason:
                            "account.application.deauthorized has no top-level `account`: is this a Connect endpoint?"
                                .into(),
                    }
                    .into());
                };
                // Nothing about a disconnected account is answered from the cache any more, nor
                // cached by a resolution under way: forgotten before the connection is cleared,
                // and again after (for one that started in between).
                self.forget_account(&account_id);
                let cleared =
                    within("connections.clear_by_account").run(self.connections().clear_by_account(&account_id)).await;
                self.forget_account(&account_id);
                cleared.map_err(|e| e.with_account(account_id.as_str())).map(|app_slug| WebhookOutcome::Disconnected {
                    event_id: event.id.clone(),
                    account_id,
                    app_slug,
                })
            }
            EventKind::DisputeCreated(dispute) => {
                let dispatch = async {
                    let charge = dispute.charge_id.as_deref();
                    let (app_slug, who) =
                        self.alert_context(account.as_ref(), charge, Subject::Dispute, deadline, timeout).await?;
                    let alert = DisputeAlert {
                        event_id: event.id.clone(),
                        app_slug: app_slug.clone(),
                        account_id: account.clone(),
                        livemode: event.livemode,
                        dispute,
                        customer_id: who.customer_id,
                        customer_email: who.customer_email,
                        charge_description: who.charge_description,
                        customer_unknown_reason: who.unknown_reason,
                    };
                    within("disputes.dispute_created").run(self.dispute_sink().dispute_created(&alert)).await?;
                    Ok::<_, StoreError>(WebhookOutcome::DisputeRecorded {
                        event_id: event.id.clone(),
                        dispute_id: alert.dispute.id.clone(),
                        account_id: account.clone(),
                        app_slug,
                    })
                };
                dispatch.await
            }
            EventKind::EarlyFraudWarningCreated(warning) => {
                let dispatch = async {
                    let charge = warning.charge_id.as_deref();
                    let (app_slug, who) =
                        self.alert_context(account.as_ref(), charge, Subject::FraudWarning, deadline, timeout).await?;
                    let alert = FraudWarningAlert {
                        event_id: event.id.clone(),
                        app_slug: app_slug.clone(),
                        account_id: account.clone(),
                        livemode: event.livemode,
                        warning,
                        amount: who.amount,
                        currency: who.currency,
                        customer_id: who.customer_id,
                        customer_email: who.customer_email,
                        charge_description: who.charge_description,
                        customer_unknown_reason: who.unknown_reason,
                    };
                    within("disputes.early_fraud_warning_created")
                        .run(self.dispute_sink().early_fraud_warning_created(&alert))
                        .await?;
                    Ok::<_, StoreError>(WebhookOutcome::FraudWarningRecorded {
                        event_id: event.id.clone(),
                        warning_id: alert.warning.id.clone(),
                        account_id: account.clone(),
                        app_slug,
                    })
                };
                dispatch.await
            }
            EventKind::Other => unreachable!("returned above"),
        };

        match result {
            Ok(outcome) => {
                // The work is done. If marking it so fails, the lease runs out in a few seconds and
                // a later redelivery (rare after a 2xx) would act again: at-least-once, never lost.
                // `NotHeld` (the lease ran out and another delivery holds it) is no failure either:
                // that delivery marks the event done when its own work succeeds.
                let _ = Budget::finishing(timeout, "claims.complete")
                    .run(claims.complete(&claim_key, &token, EVENT_CLAIM_TTL))
                    .await;
                Ok(outcome)
            }
            Err(failure) => {
                // Give the event back so Stripe's redelivery processes it at once.
                match Budget::finishing(timeout, "claims.release").run(claims.release(&claim_key, &token)).await {
                    Ok(Fence::Held) => Err(failure.into()),
                    // Its lease ran out while it worked and another delivery took the event over:
                    // that lease is not this delivery's to give back.
                    Ok(Fence::NotHeld) => Err(StoreError {
                        message: format!(
                            "{}; the lease on {} had run out (after {} s) and is no longer this delivery's \
                             (another delivery may hold it now): left in place",
                            failure.message,
                            event.id,
                            lease.as_secs()
                        ),
                        ..failure
                    }
                    .into()),
                    Err(release) => Err(StoreError {
                        message: format!(
                            "{}; releasing the lease on {} also failed ({}): a redelivery after the lease runs out \
                             (within {} s) processes the event",
                            failure.message,
                            event.id,
                            release.message,
                            lease.as_secs()
                        ),
                        ..failure
                    }
                    .into()),
                }
            }
        }
    }
}

/// A deadline on one store or sink call: past it the call is abandoned with a `store_failed`
/// that says it timed out.
struct Budget {
    deadline: Instant,
    timeout: Duration,
    operation: &'static str,
    finishing: bool,
}

impl Budget {
    /// The bound on marking an event done or releasing it, from now.
    fn finishing(webhook_timeout: Duration, operation: &'static str) -> Budget {
        let timeout = finish_timeout(webhook_timeout);
        Budget { deadline: Instant::now() + timeout, timeout, operation, finishing: true }
    }

    async fn run<T>(self, call: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        match tokio::time::timeout_at(self.deadline, call).await {
            Ok(result) => result,
            Err(_) if self.finishing => {
                Err(StoreError::new(self.operation, format!("timed out after {} ms", self.timeout.as_millis())))
            }
            Err(_) => Err(StoreError::new(
                self.operation,
                format!(
                    "timed out: the stores and the dispute sink did not finish within the webhook timeout of {} ms",
                    self.timeout.as_millis()
                ),
            )),
        }
    }
}
