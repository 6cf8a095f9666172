//! The OAuth connect flow for Standard accounts: authorize URL, signed single-use state, callback
//! with code exchange, and disconnect.
//!
//! The only POSTs this crate sends are the two here, and they go to the Connect base
//! (`https://connect.stripe.com`), never to the API host. The code exchange is never retried:
//! Stripe revokes a connection whose code is used twice.
//!
//! Deciding who may connect an app is the caller's job: see [`StripeConnect::authorize_url`].
//!
//! ```no_run
//! use stripe_connect::{AppSlug, CallbackQuery, Config, Prefill, StripeConnect};
//!
//! # struct Session { admin_of: Vec<String> }
//! # async fn run(session: Option<Session>) -> Result<(), stripe_connect::Error> {
//! let client = StripeConnect::new(Config::from_env()?);
//! let app = AppSlug::parse("helpdesk")?;
//!
//! // 0. Your own check, before anything else: only an admin of the app may connect it.
//! let allowed = session.is_some_and(|s| s.admin_of.iter().any(|a| a == app.as_str()));
//! if !allowed {
//!     return Ok(()); // answer 403, or redirect to the login page
//! }
//!
//! // 1. Connect button: set `start.state` as an httpOnly cookie, redirect to `start.url`.
//! let start = client.authorize_url(&app, &Prefill::default())?;
//!
//! // 2. Callback route: the query Stripe redirected with, plus the cookie.
//! let query = CallbackQuery::parse("code=ac_123&scope=read_write&state=...");
//! let connected = client.handle_callback(&query, Some(start.state.as_str())).await?;
//! println!("{} is {}", connected.connection.app_slug, connected.connection.account_id);
//! if let Some(old) = &connected.replaced_account_id {
//!     println!("audit: {} was connected to {old} before", connected.connection.app_slug);
//! }
//!
//! // Later: disconnect.
//! let gone = client.disconnect(&app).await?;
//! # let _ = gone; Ok(()) }
//! ```

mod authorize;
mod callback;
mod install;
mod response;
mod state;

use std::time::Duration;

pub use authorize::{AuthorizeUrl, Prefill};
pub use callback::CallbackQuery;
pub use install::{InstallQuery, InstallUrl, STRIPE_APP_SCOPE};

use crate::api::{read_response, RawResponse, TransportErrorKind};
use crate::client::StripeConnect;
use crate::error::{Error, OAuthError, OAuthErrorKind, StripeError, StripeErrorKind};
use crate::http::error_chain;
use crate::ids::{AccountId, AppSlug};
use crate::store::Connection;
use authorize::{build_authorize_url, connect_endpoint};
use response::{parse_deauthorize_response, parse_token_response, Deauthorized};
use state::VerifiedState;

/// The outcome of [`StripeConnect::handle_callback`]: the connection saved, and the account it
/// replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connected {
    pub connection: Connection,
    /// The account the app was connected to until now, when this callback replaced it with a
    /// **different** one (`None` for a first connection, and for the same account connected
    /// again). Worth an audit log line: someone who could reach the connect route switched the
    /// account whose data the app reads.
    pub replaced_account_id: Option<AccountId>,
}

impl Connected {
    fn replacing(connection: Connection, previous: Option<Connection>) -> Self {
        let replaced_account_id = previous.map(|p| p.account_id).filter(|previous| *previous != connection.account_id);
        Connected { connection, replaced_account_id }
    }
}

/// How much longer than its state a state's single-use claim is kept (seconds).
const STATE_CLAIM_MARGIN_SECS: u64 = 60;

/// The outcome of [`StripeConnect::disconnect`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DisconnectResult {
    pub account_id: AccountId,
    pub app_slug: AppSlug,
    /// Stripe said the account was not connected any more (`invalid_client`); the local
    /// connection was cleared all the same.
    pub already_disconnected: bool,
    /// The connection came from a Stripe App install: it was cleared here, and nothing was sent
    /// (the library sends no POST to the API). The app stays installed on the account until its
    /// owner uninstalls it from the Dashboard; the `account.application.deauthorized` that
    /// follows finds nothing left to clear.
    pub left_installed: bool,
}

impl StripeConnect {
    /// Start connecting `app_slug`: Stripe's authorize URL and the signed state that goes with it.
    ///
    /// # Who may connect an app is your decision
    ///
    /// This API has no routes and knows nothing of your users: it starts connecting whichever app
    /// it is given, and the callback trusts the state it signed. So **before calling it, check
    /// that the signed-in user may connect that app** (an admin of it, say). Without that check,
    /// anyone who reaches your connect route can connect an app to a Stripe account of their own,
    /// and the app then reads that account's data as its customers'. (The Node package's route
    /// handlers cannot be built without this check: their `canConnect` option.) A callback that
    /// replaces an app's connection with a *different* account says so in
    /// [`Connected::replaced_account_id`]: log it, so that it can be audited.
    ///
    /// ```no_run
    /// use stripe_connect::{AppSlug, Prefill, StripeConnect};
    ///
    /// struct Session { admin_of: Vec<String> }
    ///
    /// /// The connect route: `Ok(None)` means answer 403 (or redirect to the login page).
    /// fn connect_url(client: &StripeConnect, session: Option<&Session>, app: &str)
    ///     -> Result<Option<String>, stripe_connect::Error> {
    ///     let app = AppSlug::parse(app)?;
    ///     let allowed = session.is_some_and(|s| s.admin_of.iter().any(|a| a == app.as_str()));
    ///     if !allowed {
    ///         return Ok(None);
    ///     }
    ///     let start = client.authorize_url(&app, &Prefill::default())?;
    ///     // Set `start.state` as an httpOnly cookie, then redirect to the URL.
    ///     Ok(Some(start.url.to_string()))
    /// }
    /// ```
    ///
    /// Needs `client_id` and `redirect_uri` in the config (`config_invalid` otherwise). The state
    /// expires after `state_ttl` (default 10 minutes) and can be used once.
    pub fn authorize_url(&self, app_slug: &AppSlug, prefill: &Prefill) -> Result<AuthorizeUrl, Error> {
        let config = self.config();
        let client_id = config.require_client_id("the OAuth authorize URL")?;
        let redirect_uri = config.require_redirect_uri("the OAuth authorize URL")?;
        let (state, expires_at) = self.new_state(app_slug);
        let url = build_authorize_url(&config.connect_base, client_id, config.scope, redirect_uri, &state, prefill);
        Ok(AuthorizeUrl { url, state, expires_at })
    }

    /// Finish connecting: check the redirect, the state (against the cookie, signature, expiry,
    /// single use), exchange the code once, and save the connection. The result says which
    /// account the app was connected to before, if this replaced it with a different one.
    ///
    /// Errors, in the order they are checked: `invalid_input` (a repeated parameter),
    /// `oauth_access_denied` / `oauth_error` (Stripe redirected with `error=`),
    /// `oauth_invalid_state`, `oauth_state_expired`, `invalid_input` (no `code`),
    /// `store_failed` (reading the app's current connection failed: nothing was claimed or sent,
    /// the same callback may be retried), `oauth_state_used` (replay: nothing is sent to Stripe),
    /// then the exchange's
    /// `oauth_invalid_grant` etc. or `stripe_*`, and `store_failed` whose
    /// [`Error::account_id`] is the account Stripe connected (save it by hand; do **not** run
    /// the callback again).
    pub async fn handle_callback(&self, query: &CallbackQuery, cookie_state: Option<&str>) -> Result<Connected, Error> {
        if let Some(e) = query.redirect_error() {
            return Err(e);
        }
        state::check_cookie(query.state.as_deref(), cookie_state)?;
        let now = self.now();
        let verified =
            state::verify_state(&self.config().state_secret, query.state.as_deref().unwrap_or_default(), now)?;
        let code = query.checked_code()?;

        let previous = self.claim_state(&verified, now).await?;
        let resp = self.post_form(&["oauth", "token"], &[("grant_type", "authorization_code"), ("code", code)]).await?;
        let grant = parse_token_response(&resp)?;
        let connection = Connection {
            app_slug: verified.app_slug,
            account_id: grant.account_id,
            livemode: grant.livemode,
            scope: grant.scope,
        };
        self.connections().save(&connection).await.map_err(|e| {
            let mut e = e.in_operation("connections.save").with_account(connection.account_id.as_str());
            e.message = format!(
                "{}; Stripe connected {} to app {} but it was not saved: save it by hand, and do not run the callback \
                 again (the code is single-use; reusing it revokes the connection)",
                e.message, connection.account_id, connection.app_slug
            );
            e
        })?;
        Ok(Connected::replacing(connection, previous))
    }

    /// Start connecting `app_slug` through the Stripe App's install link: the link and the signed
    /// state that goes with it, exactly as [`authorize_url`](Self::authorize_url) (the same
    /// state, single use, slug-bound, `state_ttl`). **Check first that the signed-in user may
    /// connect that app**, as for OAuth.
    ///
    /// Needs `stripe_app_id`, `stripe_app_secret` and `redirect_uri` (one of the app manifest's
    /// `allowed_redirect_uris`): `config_invalid` otherwise.
    pub fn install_url(&self, app_slug: &AppSlug) -> Result<InstallUrl, Error> {
        let config = self.config();
        let (app_id, _) = config.require_stripe_app("the Stripe App install link")?;
        let redirect_uri = config.require_redirect_uri("the Stripe App install link")?;
        let (state, expires_at) = self.new_state(app_slug);
        let url = install::build_install_url(&config.install_base, app_id, redirect_uri, &state);
        Ok(InstallUrl { url, state, expires_at })
    }

    /// Finish connecting through a Stripe App install: check the redirect, the state (against
    /// the cookie, signature, expiry), **prove the install** by its `install_signature` (Stripe's
    /// signature over `state`, `user_id` and `account_id` with the app's signing secret), claim
    /// the state once, and save the connection. Nothing is sent to Stripe.
    ///
    /// Errors, in the order they are checked: `config_invalid` (no `stripe_app_id` /
    /// `stripe_app_secret`), `invalid_input` (a repeated parameter), `oauth_access_denied` /
    /// `oauth_error` (Stripe redirected with `error=`), `oauth_invalid_state`,
    /// `oauth_state_expired`, `invalid_input` (no or a malformed `account_id` or `user_id`, a bad
    /// `livemode`), `install_signature_invalid` (missing, malformed, stale, or not matching the
    /// values: a forged or altered account), `livemode_mismatch` (a test-mode install with a live
    /// key, or the reverse), `store_failed` (reading the app's connection: nothing claimed),
    /// `oauth_state_used` (replay), and `store_failed` from saving, whose
    /// [`Error::account_id`] is the installing account. Nothing is stored unless every check
    /// passed.
    pub async fn handle_install_callback(
        &self,
        query: &InstallQuery,
        cookie_state: Option<&str>,
    ) -> Result<Connected, Error> {
        let (_, app_secret) = self.config().require_stripe_app("an install callback")?;
        if let Some(e) = query.redirect_error() {
            return Err(e);
        }
        state::check_cookie(query.state.as_deref(), cookie_state)?;
        let now = self.now();
        let state_text = query.state.as_deref().unwrap_or_default();
        let verified = state::verify_state(&self.config().state_secret, state_text, now)?;
        let install = query.checked()?;
        install::verify_install_signature(app_secret, state_text, &install, now)?;
        // The mode is Stripe's (`livemode=false` on a test-mode install), and must be the key's:
        // a live key cannot read a test-mode install, nor a test key a live one.
        if self.config().secret_key.livemode().is_some_and(|key| key != install.livemode) {
            return Err(Error::LivemodeMismatch {
                app_slug: verified.app_slug.as_str().to_string(),
                connection_livemode: install.livemode,
            });
        }
        let previous = self.claim_state(&verified, now).await?;
        let connection = Connection {
            app_slug: verified.app_slug,
            account_id: install.account_id,
            livemode: install.livemode,
            scope: STRIPE_APP_SCOPE.to_string(),
        };
        self.connections().save(&connection).await.map_err(|e| {
            let mut e = e.in_operation("connections.save").with_account(connection.account_id.as_str());
            e.message = format!(
                "{}; the Stripe App is installed on {} for app {} but the connection was not saved: save it by hand, \
                 or send the user through a new install link",
                e.message, connection.account_id, connection.app_slug
            );
            e
        })?;
        Ok(Connected::replacing(connection, previous))
    }

    /// A new signed state for `app_slug`, and when it expires.
    fn new_state(&self, app_slug: &AppSlug) -> (String, i64) {
        let ttl = i64::try_from(self.config().state_ttl.as_secs()).unwrap_or(i64::MAX);
        let expires_at = self.now().saturating_add(ttl);
        (state::sign_state(&self.config().state_secret, app_slug, &state::new_nonce(), expires_at), expires_at)
    }

    /// Read the app's current connection, then claim the state's single use: `oauth_state_used`
    /// if an earlier callback claimed it. Returns the connection it may replace.
    async fn claim_state(&self, verified: &VerifiedState, now: i64) -> Result<Option<Connection>, Error> {
        // Read before the claim, so that a failing store costs nothing: the state is still unused.
        let previous = self
            .connections()
            .get_by_slug(&verified.app_slug)
            .await
            .map_err(|e| e.in_operation("connections.get_by_slug"))?;

        // Claimed before anything is sent or saved, and never given back or completed: after a
        // request Stripe may have consumed the code, and a second use revokes the connection. The
        // claim outlives the state (a minute more, for a store whose clock runs ahead of ours),
        // so it is never free again while the state could be accepted.
        let ttl = Duration::from_secs(
            u64::try_from(verified.expires_at.saturating_sub(now)).unwrap_or(1).max(1) + STATE_CLAIM_MARGIN_SECS,
        );
        let claimed =
            self.claims().claim(&verified.claim_key(), ttl).await.map_err(|e| e.in_operation("claims.claim"))?;
        if !claimed {
            return Err(OAuthError::new(
                OAuthErrorKind::StateUsed,
                "this state was already used by an earlier callback (a replay, reload or double submit); nothing was \
                 sent to Stripe or saved",
            )
            .into());
        }
        Ok(previous)
    }

    /// Disconnect `app_slug`'s account from the platform at Stripe, then clear the connection.
    ///
    /// `invalid_input` if the app has no connection. If Stripe says the account is not connected
    /// any more (`invalid_client`), the local connection is still cleared and the result says
    /// `already_disconnected`.
    pub async fn disconnect(&self, app_slug: &AppSlug) -> Result<DisconnectResult, Error> {
        // Without a Stripe App, only OAuth connections can exist: say a client id is missing first.
        if self.config().stripe_app_id.is_none() {
            self.config().require_client_id("disconnecting an app")?;
        }
        let connection = self
            .connections()
            .get_by_slug(app_slug)
            .await
            .map_err(|e| e.in_operation("connections.get_by_slug"))?
            .ok_or_else(|| {
                Error::invalid_input("app_slug", format!("app {app_slug} has no Stripe connection to disconnect"))
            })?;
        let account_id = connection.account_id;
        if connection.scope == STRIPE_APP_SCOPE {
            self.clear_connection(&account_id).await?;
            return Ok(DisconnectResult {
                account_id,
                app_slug: app_slug.clone(),
                already_disconnected: false,
                left_installed: true,
            });
        }
        let client_id = self.config().require_client_id("disconnecting an app")?;
        let resp = self
            .post_form(
                &["oauth", "deauthorize"],
                &[("client_id", client_id.as_str()), ("stripe_user_id", account_id.as_str())],
            )
            .await?;
        let outcome = parse_deauthorize_response(&resp, &account_id)?;
        self.clear_connection(&account_id).await?;
        Ok(DisconnectResult {
            account_id,
            app_slug: app_slug.clone(),
            already_disconnected: outcome == Deauthorized::AlreadyGone,
            left_installed: false,
        })
    }

    /// Clear the account's connection, forgetting its cached lookups before and after (a
    /// resolution that started in between is not cached either).
    async fn clear_connection(&self, account_id: &AccountId) -> Result<(), Error> {
        self.forget_account(account_id);
        let cleared = self.connections().clear_by_account(account_id).await;
        self.forget_account(account_id);
        cleared.map_err(|e| e.in_operation("connections.clear_by_account").with_account(account_id.as_str()))?;
        Ok(())
    }

    /// One form POST to the Connect base, sent once (no retry) with the secret key as Bearer,
    /// within the call's deadline (`config.timeout`): past it, `stripe_timeout`.
    async fn post_form(&self, endpoint: &[&str], form: &[(&str, &str)]) -> Result<RawResponse, Error> {
        let timeout = self.config().timeout;
        match tokio::time::timeout(timeout, self.post_form_once(endpoint, form)).await {
            Ok(result) => result,
            Err(_) => Err(StripeError::new(
                StripeErrorKind::Timeout,
                format!(
                    "no complete answer from Stripe to POST /{} within the {timeout:?} deadline; not retried",
                    endpoint.join("/")
                ),
            )
            .into()),
        }
    }

    async fn post_form_once(&self, endpoint: &[&str], form: &[(&str, &str)]) -> Result<RawResponse, Error> {
        let url = connect_endpoint(&self.config().connect_base, endpoint);
        let sent =
            self.inner.http.get()?.post(url).bearer_auth(self.config().secret_key.expose()).form(form).send().await;
        let transport = |e: reqwest::Error| {
            let kind = if e.is_timeout() { StripeErrorKind::Timeout } else { StripeErrorKind::Unavailable };
            Error::from(StripeError::new(
                kind,
                format!("OAuth request to Stripe failed, not retried: {}", error_chain(&e)),
            ))
        };
        let resp = sent.map_err(transport)?;
        let status = resp.status().as_u16();
        let request_id = resp.headers().get("request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
        read_response(resp).await.map_err(|e| {
            let kind = match e.kind {
                TransportErrorKind::Timeout => StripeErrorKind::Timeout,
                TransportErrorKind::TooLarge => StripeErrorKind::BadResponse,
                _ => StripeErrorKind::Unavailable,
            };
            let mut err =
                StripeError::new(kind, format!("reading Stripe's OAuth response failed, not retried: {}", e.message));
            err.status = Some(status);
            err.request_id = request_id;
            Error::from(err)
        })
    }
}
