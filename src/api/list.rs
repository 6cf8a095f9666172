//! Stripe's list and search envelopes, and pagination over them.
//!
//! Lists are `{object: "list", data, has_more, url}` and page with `limit` (1–100) and
//! `starting_after` (the last id of the previous page). Search results page with `page` =
//! the previous `next_page`. Every page goes through [`Api::get`], so each one carries the
//! `Stripe-Account` and `Stripe-Version` headers, and retries and the deadline apply per page.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{display_path, Api};
use crate::error::{StripeError, StripeErrorKind};

/// Most objects a list may return, per page.
pub const MAX_PAGE: usize = 100;

/// A list page.
#[derive(Debug, Deserialize)]
pub(crate) struct List<T> {
    pub data: Vec<T>,
    pub has_more: bool,
}

/// A search result page.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchPage<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    #[serde(default)]
    pub next_page: Option<String>,
}

/// Objects that page by id.
pub(crate) trait HasId {
    fn id(&self) -> &str;
}

fn bad_page(path: &str, what: &str) -> StripeError {
    StripeError::new(StripeErrorKind::BadResponse, format!("GET {path}: {what}"))
}

impl Api<'_> {
    /// The objects of a list, page by page, until `has_more` is false or `max_items` are read.
    pub(crate) async fn list_all<T: DeserializeOwned + HasId>(
        &self,
        path: &[&str],
        query: Vec<(&'static str, String)>,
        max_items: usize,
    ) -> Result<Vec<T>, StripeError> {
        Ok(self.list_up_to(path, query, max_items).await?.0)
    }

    /// [`Api::list_all`], and whether the list holds more than was read. A page shorter than
    /// asked for does not end the reading (a list may page in smaller steps than `limit`); only
    /// `has_more: false` or `max_items` read does, so a full first page costs one request.
    pub(crate) async fn list_up_to<T: DeserializeOwned + HasId>(
        &self,
        path: &[&str],
        query: Vec<(&'static str, String)>,
        max_items: usize,
    ) -> Result<(Vec<T>, bool), StripeError> {
        let mut items: Vec<T> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut q = query.clone();
            q.push(("limit", (max_items - items.len()).clamp(1, MAX_PAGE).to_string()));
            if let Some(a) = &after {
                q.push(("starting_after", a.clone()));
            }
            let page: List<T> = self.get(path, q).await?;
            let last = page.data.last().map(|o| o.id().to_string());
            items.extend(page.data);
            if !page.has_more || items.len() >= max_items {
                return Ok((items, page.has_more));
            }
            match last {
                None => return Err(bad_page(&display_path(path), "`has_more` is true on an empty page")),
                Some(l) if after.as_deref() == Some(l.as_str()) => {
                    return Err(bad_page(&display_path(path), "the next page repeats the previous one"))
                }
                Some(l) => after = Some(l),
            }
        }
    }

    /// The results of a search, page by page, until `has_more` is false or `max_items` are read.
    pub(crate) async fn search_all<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: String,
        max_items: usize,
    ) -> Result<Vec<T>, StripeError> {
        let mut items: Vec<T> = Vec::new();
        let mut page_token: Option<String> = None;
        loop {
            let mut q =
                vec![("query", query.clone()), ("limit", (max_items - items.len()).clamp(1, MAX_PAGE).to_string())];
            if let Some(p) = &page_token {
                q.push(("page", p.clone()));
            }
            let page: SearchPage<T> = self.get(path, q).await?;
            items.extend(page.data);
            if !page.has_more || items.len() >= max_items {
                return Ok(items);
            }
            match page.next_page {
                Some(n) if page_token.as_deref() != Some(n.as_str()) => page_token = Some(n),
                _ => {
                    return Err(bad_page(
                        &display_path(path),
                        "`has_more` is true but `next_page` is missing or repeated",
                    ))
                }
            }
        }
    }
}
