//! `StripeConnect::handle_webhook`: verify, dedupe on `event.id`, act, report.
//!
//! Stripe delivers at least once, out of order, and retries failures for up to three days. So the
//! event id is claimed before anything is done (a duplicate does nothing), and if a store or the
//! dispute sink fails the claim is released and `store_failed` returned: the HTTP layer answers
//! 5xx, Stripe redelivers, and the event is processed then. Nothing is lost, nothing done twice.

use std::time::Duration;

use crate::client::StripeConnect;
use crate::error::{ConfigError, Error, StoreError, WebhookError};
use crate::ids::{AccountId, AppSlug};
use crate::store::DisputeAlert;

use super::{construct_event, EventKind};

/// How long an event id stays claimed: Stripe retries for up to 3 days; a day of margin.
pub const EVENT_CLAIM_TTL: Duration = Duration::from_secs(4 * 24 * 3600);

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
    /// Already handled (or being handled) under this event id: nothing was done.
    Duplicate { event_id: String, event_type: String },
    /// Verified, but nothing to do.
    Ignored { event_id: String, event_type: String, reason: IgnoreReason },
}

impl WebhookOutcome {
    pub fn event_id(&self) -> &str {
        match self {
            WebhookOutcome::Disconnected { event_id, .. }
            | WebhookOutcome::DisputeRecorded { event_id, .. }
            | WebhookOutcome::Duplicate { event_id, .. }
            | WebhookOutcome::Ignored { event_id, .. } => event_id,
        }
    }

    /// `disconnected`, `dispute_recorded`, `duplicate` or `ignored`.
    pub fn kind(&self) -> &'static str {
        match self {
            WebhookOutcome::Disconnected { .. } => "disconnected",
            WebhookOutcome::DisputeRecorded { .. } => "dispute_recorded",
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
    /// Verify and act on one webhook delivery. `payload` is the raw request body, byte for byte.
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
        if matches!(event.kind, EventKind::Other) {
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
        if !claims.claim(&claim_key, EVENT_CLAIM_TTL).await.map_err(|e| e.in_operation("claims.claim"))? {
            return Ok(WebhookOutcome::Duplicate { event_id: event.id, event_type: event.event_type });
        }

        let result = match event.kind {
            EventKind::ApplicationDeauthorized(_) => {
                let Some(account_id) = account else {
                    // Signed by Stripe but useless: release so that nothing is remembered about it.
                    let _ = claims.release(&claim_key).await;
                    return Err(WebhookError::InvalidPayload {
                        reason:
                            "account.application.deauthorized has no top-level `account`: is this a Connect endpoint?"
                                .into(),
                    }
                    .into());
                };
                // Nothing about a disconnected account is answered from the cache any more.
                self.inner.customers.forget_account(account_id.as_str());
                self.connections()
                    .clear_by_account(&account_id)
                    .await
                    .map_err(|e| e.with_account(account_id.as_str()))
                    .map(|app_slug| WebhookOutcome::Disconnected { event_id: event.id.clone(), account_id, app_slug })
            }
            EventKind::DisputeCreated(dispute) => {
                let dispatch = async {
                    let app_slug = match &account {
                        Some(a) => self.connections().get_by_account(a).await?.map(|c| c.app_slug),
                        None => None,
                    };
                    let alert = DisputeAlert {
                        event_id: event.id.clone(),
                        app_slug: app_slug.clone(),
                        account_id: account.clone(),
                        livemode: event.livemode,
                        dispute,
                    };
                    self.dispute_sink().dispute_created(&alert).await?;
                    Ok::<_, StoreError>(WebhookOutcome::DisputeRecorded {
                        event_id: event.id.clone(),
                        dispute_id: alert.dispute.id.clone(),
                        account_id: account.clone(),
                        app_slug,
                    })
                };
                dispatch.await
            }
            EventKind::Other => unreachable!("returned above"),
        };

        match result {
            Ok(outcome) => Ok(outcome),
            Err(failure) => {
                // Give the event back so Stripe's redelivery processes it.
                if let Err(release) = claims.release(&claim_key).await {
                    return Err(StoreError::new(
                        failure.operation.clone(),
                        format!(
                            "{}; releasing the claim on {} also failed ({}), so a redelivery will be reported as a duplicate \
                             until the claim expires: process this event by hand",
                            failure.message, event.id, release.message
                        ),
                    )
                    .into());
                }
                Err(failure.into())
            }
        }
    }
}
