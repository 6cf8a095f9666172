//! The event-shape rules, once, over the signed bytes.
//!
//! [`check`] reads the raw body in one forward pass and decides whether it is a Stripe event this
//! library accepts: the envelope's fields and their types, thin events, and for the two events it
//! acts on, the fields of `data.object`. It serves Rust `parse_event` (and so `handle_webhook`)
//! and the Node `constructEvent`, which then runs one `JSON.parse`.
//!
//! It is a scanner, not a parser: it types the fields the rules look at and skips every other
//! value (strings with `memchr`, containers by bracket depth) without validating it. A body that
//! passes the rules but is not JSON is rejected right after, by the full parse both faces run
//! (`serde_json` here, `JSON.parse` in Node), with the same `webhook_invalid_payload`; since both
//! faces run the rules first, they give the same code for every body.
//!
//! Keys are compared after JSON unescaping (`"typ\u0065"` is `type`), and a field the rules read
//! that appears twice is rejected: parsers disagree on duplicates (serde's structs reject them,
//! `JSON.parse` keeps the last), so a body with two `type`s means one thing to no one.

use std::borrow::Cow;

use wide::u8x16;

use crate::error::WebhookError;

/// What a JSON value is, as far as the rules look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    /// A number with no fraction or exponent that fits an `i64` (what serde reads as an `i64`).
    Integer,
    /// Any other number.
    Float,
    String,
    Array,
    Object,
}

/// What a field may be (`None`: absent).
#[derive(Clone, Copy)]
enum Expect {
    /// Required string.
    Str,
    /// Absent, null or a string.
    OptStr,
    /// Required integer.
    Int,
    /// Absent, null or an integer.
    OptInt,
    /// Absent or an integer (`#[serde(default)] i64`).
    DefaultInt,
    /// Absent or a boolean (`#[serde(default)] bool`).
    DefaultBool,
    /// Absent, null, an id or an expanded object.
    OptExpandable,
    /// Absent, null or an object (whose fields have their own table).
    OptObject,
}

impl Expect {
    fn allows(self, kind: Option<Kind>) -> bool {
        use Kind::*;
        match self {
            Expect::Str => kind == Some(String),
            Expect::OptStr => matches!(kind, None | Some(Null | String)),
            Expect::Int => kind == Some(Integer),
            Expect::OptInt => matches!(kind, None | Some(Null | Integer)),
            Expect::DefaultInt => matches!(kind, None | Some(Integer)),
            Expect::DefaultBool => matches!(kind, None | Some(Bool)),
            Expect::OptExpandable => matches!(kind, None | Some(Null | String | Object)),
            Expect::OptObject => matches!(kind, None | Some(Null | Object)),
        }
    }
}

/// A value as scanned: its kind and its bytes (a string with its quotes).
#[derive(Clone, Copy)]
struct Val<'a> {
    kind: Kind,
    raw: &'a [u8],
}

impl<'a> Val<'a> {
    /// The text of a string value, unescaped only if it has escapes.
    fn text(&self) -> Result<Cow<'a, str>, WebhookError> {
        string_text(self.raw)
    }
}

/// One field the rules read: its value, and whether its key appeared more than once.
#[derive(Clone, Copy, Default)]
struct Slot<'a> {
    val: Option<Val<'a>>,
    repeated: bool,
}

impl<'a> Slot<'a> {
    fn kind(&self) -> Option<Kind> {
        self.val.map(|v| v.kind)
    }

    fn set(&mut self, val: Val<'a>) {
        self.repeated |= self.val.is_some();
        self.val = Some(val);
    }
}

/// The envelope's fields (`data` aside).
const ENVELOPE: [(&str, Expect); 7] = [
    ("id", Expect::OptStr),
    ("object", Expect::OptStr),
    ("type", Expect::OptStr),
    ("account", Expect::OptStr),
    ("livemode", Expect::DefaultBool),
    ("created", Expect::DefaultInt),
    ("api_version", Expect::OptStr),
];
const ID: usize = 0;
const OBJECT: usize = 1;
const TYPE: usize = 2;
const ACCOUNT: usize = 3;
const LIVEMODE: usize = 4;
const CREATED: usize = 5;
const API_VERSION: usize = 6;

/// The dispute object (`crate::dispute::WireDispute`'s fields; `evidence_details.due_by` below).
const DISPUTE: [(&str, Expect); 9] = [
    ("id", Expect::Str),
    ("amount", Expect::Int),
    ("currency", Expect::Str),
    ("charge", Expect::OptExpandable),
    ("payment_intent", Expect::OptExpandable),
    ("reason", Expect::OptStr),
    ("status", Expect::Str),
    ("is_charge_refundable", Expect::DefaultBool),
    ("created", Expect::Int),
];
const EVIDENCE_DETAILS: (&str, Expect) = ("evidence_details", Expect::OptObject);
const DUE_BY: (&str, Expect) = ("due_by", Expect::OptInt);

/// The application object of `account.application.deauthorized`.
const APPLICATION: [(&str, Expect); 2] = [("id", Expect::Str), ("name", Expect::OptStr)];

/// The keys of `data.object` the rules may read: the dispute's, `evidence_details`, and the
/// application's `name` (`id` is shared). Which of them count depends on the event type, which
/// may come after `data` in the body.
const OBJECT_KEYS: [&str; 11] = [
    "id",
    "amount",
    "currency",
    "charge",
    "payment_intent",
    "reason",
    "status",
    "is_charge_refundable",
    "created",
    "evidence_details",
    "name",
];
const OBJECT_EVIDENCE: usize = 9;
const OBJECT_NAME: usize = 10;

/// The typed event types and what `data.object` must be for them.
pub(crate) const DISPUTE_CREATED: &str = "charge.dispute.created";
pub(crate) const APPLICATION_DEAUTHORIZED: &str = "account.application.deauthorized";
/// Checked by serde when read (`crate::fraud_warning`), not by these rules: it is acted on only
/// when the sink takes fraud warnings.
pub(crate) const EARLY_FRAUD_WARNING_CREATED: &str = "radar.early_fraud_warning.created";

/// Everything the scan found.
#[derive(Default)]
struct Found<'a> {
    /// The top-level value, if it is not an object.
    not_an_object: Option<Kind>,
    envelope: [Slot<'a>; 7],
    data: Slot<'a>,
    /// `data.object`, when `data` is an object.
    data_object: Slot<'a>,
    /// The fields of `data.object`, when it is an object.
    object: [Slot<'a>; 11],
    /// `data.object.evidence_details.due_by`, when `evidence_details` is an object.
    due_by: Slot<'a>,
}

/// What the rules let through, borrowed from the body.
pub(crate) struct Shape<'a> {
    pub id: Cow<'a, str>,
    pub event_type: Cow<'a, str>,
    pub account: Option<Cow<'a, str>>,
    pub livemode: bool,
    pub created: i64,
    pub api_version: Option<Cow<'a, str>>,
    /// The bytes of `data.object`.
    pub data_object: &'a [u8],
}

fn invalid(reason: impl Into<String>) -> WebhookError {
    WebhookError::InvalidPayload { reason: reason.into() }
}

/// Check `payload` against every event rule; on success, the envelope's fields and where
/// `data.object` is. Outcomes, in order: not JSON the scanner can follow, or a field of the wrong
/// type or repeated, is `webhook_invalid_payload`; an `object` other than `"event"` is
/// `webhook_thin_event`; then a missing id, type or `data.object`; then the typed objects.
pub(crate) fn check(payload: &[u8]) -> Result<Shape<'_>, WebhookError> {
    let found = Scanner::new(payload).event().map_err(|e| invalid(format!("not valid JSON: {}", e.0)))?;
    if let Some(kind) = found.not_an_object {
        return Err(invalid(format!("not a Stripe event: the body is {}", kind_name(Some(kind)))));
    }
    let envelope = &found.envelope;
    fields_allowed("", &ENVELOPE, envelope).map_err(|e| invalid(format!("not a Stripe event: {e}")))?;
    if found.data.repeated {
        return Err(invalid("not a Stripe event: `data` appears twice"));
    }
    let has_data_object = match found.data.kind() {
        None | Some(Kind::Null) => false,
        Some(Kind::Object) if found.data_object.repeated => {
            return Err(invalid("not a Stripe event: `data.object` appears twice"))
        }
        Some(Kind::Object) => found.data_object.val.is_some(),
        other => return Err(invalid(format!("not a Stripe event: `data` is {}", kind_name(other)))),
    };
    if !matches!(found.data.kind(), None | Some(Kind::Null)) && !has_data_object {
        return Err(invalid("not a Stripe event: `data` has no `object`"));
    }
    let text = |i: usize| envelope[i].val.filter(|v| v.kind == Kind::String).map(|v| v.text()).transpose();
    match text(OBJECT)? {
        Some(o) if o == "event" => {}
        Some(other) => return Err(WebhookError::ThinEvent { object: other.into_owned() }),
        None => return Err(invalid("no `object` field: not a Stripe event")),
    }
    let id = text(ID)?.filter(|s| !s.is_empty()).ok_or_else(|| invalid("the event has no id"))?;
    let event_type = text(TYPE)?.filter(|s| !s.is_empty()).ok_or_else(|| invalid("the event has no type"))?;
    let Some(data_object) = found.data_object.val.filter(|_| has_data_object) else {
        return Err(invalid("the event has no data.object"));
    };
    match event_type.as_ref() {
        DISPUTE_CREATED => check_dispute(&found, data_object)
            .map_err(|e| invalid(format!("{DISPUTE_CREATED}: data.object is not a dispute: {e}")))?,
        APPLICATION_DEAUTHORIZED => check_application(&found, data_object)
            .map_err(|e| invalid(format!("{APPLICATION_DEAUTHORIZED}: data.object is not an application: {e}")))?,
        _ => {}
    }
    let int = |v: Option<Val>| v.map(|v| parse_int(v.raw)).unwrap_or(0);
    Ok(Shape {
        id,
        event_type,
        account: text(ACCOUNT)?,
        livemode: envelope[LIVEMODE].val.is_some_and(|v| v.raw == b"true"),
        created: int(envelope[CREATED].val),
        api_version: text(API_VERSION)?,
        data_object: data_object.raw,
    })
}

fn check_dispute(found: &Found, object: Val) -> Result<(), String> {
    if object.kind != Kind::Object {
        return Err(format!("`data.object` is {}", kind_name(Some(object.kind))));
    }
    fields_allowed("data.object.", &DISPUTE, &found.object[..DISPUTE.len()])?;
    fields_allowed("data.object.", &[EVIDENCE_DETAILS], &found.object[OBJECT_EVIDENCE..=OBJECT_EVIDENCE])?;
    if found.object[OBJECT_EVIDENCE].kind() == Some(Kind::Object) {
        fields_allowed("data.object.evidence_details.", &[DUE_BY], std::slice::from_ref(&found.due_by))?;
    }
    Ok(())
}

fn check_application(found: &Found, object: Val) -> Result<(), String> {
    if object.kind != Kind::Object {
        return Err(format!("`data.object` is {}", kind_name(Some(object.kind))));
    }
    let slots = [found.object[0], found.object[OBJECT_NAME]];
    fields_allowed("data.object.", &APPLICATION, &slots)
}

fn fields_allowed(prefix: &str, fields: &[(&str, Expect)], slots: &[Slot]) -> Result<(), String> {
    for ((name, expect), slot) in fields.iter().zip(slots) {
        if slot.repeated {
            return Err(format!("`{prefix}{name}` appears twice"));
        }
        if !expect.allows(slot.kind()) {
            return Err(format!("`{prefix}{name}` is {}", kind_name(slot.kind())));
        }
    }
    Ok(())
}

fn kind_name(kind: Option<Kind>) -> &'static str {
    match kind {
        None => "missing",
        Some(Kind::Null) => "null",
        Some(Kind::Bool) => "a boolean",
        Some(Kind::Integer) => "an integer",
        Some(Kind::Float) => "a number that is not an integer",
        Some(Kind::String) => "a string",
        Some(Kind::Array) => "an array",
        Some(Kind::Object) => "an object",
    }
}

/// The `i64` of a value the scanner typed [`Kind::Integer`].
fn parse_int(raw: &[u8]) -> i64 {
    std::str::from_utf8(raw).ok().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// The text of a JSON string (with its quotes), borrowed unless it has escapes.
fn string_text(raw: &[u8]) -> Result<Cow<'_, str>, WebhookError> {
    let inner = &raw[1..raw.len() - 1];
    if !inner.contains(&b'\\') {
        return std::str::from_utf8(inner)
            .map(Cow::Borrowed)
            .map_err(|_| invalid("a string of the event is not UTF-8"));
    }
    serde_json::from_slice::<String>(raw).map(Cow::Owned).map_err(|e| invalid(e.to_string()))
}

/// Why the scanner could not follow the body (reported as `webhook_invalid_payload`).
struct Syntax(String);

/// Which object is being read: decides which keys are recorded.
#[derive(Clone, Copy)]
enum Level {
    Top,
    Data,
    DataObject,
    EvidenceDetails,
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn new(b: &'a [u8]) -> Self {
        Scanner { b, i: 0 }
    }

    fn fail<T>(&self, what: &str) -> Result<T, Syntax> {
        if self.i >= self.b.len() {
            Err(Syntax(format!("{what}: unexpected end of the body at byte {}", self.i)))
        } else {
            Err(Syntax(format!("{what} at byte {}", self.i)))
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// The whole body: one value, then only whitespace.
    fn event(mut self) -> Result<Found<'a>, Syntax> {
        let mut found = Found::default();
        self.ws();
        if self.peek() == Some(b'{') {
            self.object(Level::Top, &mut found)?;
        } else {
            found.not_an_object = Some(self.value()?.kind);
        }
        self.ws();
        if self.i != self.b.len() {
            return self.fail("trailing characters after the JSON value");
        }
        Ok(found)
    }

    /// An object at `self.i` (`{`), recording the fields of `level` in `found`.
    fn object(&mut self, level: Level, found: &mut Found<'a>) -> Result<(), Syntax> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return self.fail("expected a key");
            }
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return self.fail("expected `:`");
            }
            self.i += 1;
            self.ws();
            self.field(level, key, found)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.fail("expected `,` or `}`"),
            }
        }
    }

    /// The value of `key` in an object of `level`: recorded (and descended into) if the rules
    /// read it, skipped otherwise.
    fn field(&mut self, level: Level, key: &'a [u8], found: &mut Found<'a>) -> Result<(), Syntax> {
        // Raw bytes compare as they are; only a key with an escape is decoded first.
        let decoded;
        let key: &[u8] = if key.contains(&b'\\') {
            decoded = key_text(key);
            decoded.as_bytes()
        } else {
            key
        };
        let start = self.i;
        match level {
            Level::Top if key == b"data" => {
                let val = self.value_into(Level::Data, found)?;
                found.data.set(val);
            }
            Level::Top => match ENVELOPE.iter().position(|(k, _)| k.as_bytes() == key) {
                Some(at) => {
                    let val = self.value()?;
                    found.envelope[at].set(val);
                }
                None => self.skip()?,
            },
            Level::Data if key == b"object" => {
                let val = self.value_into(Level::DataObject, found)?;
                found.data_object.set(val);
            }
            Level::Data => self.skip()?,
            Level::DataObject => match OBJECT_KEYS.iter().position(|k| k.as_bytes() == key) {
                Some(OBJECT_EVIDENCE) => {
                    let val = self.value_into(Level::EvidenceDetails, found)?;
                    found.object[OBJECT_EVIDENCE].set(val);
                }
                Some(at) => {
                    let val = self.value()?;
                    found.object[at].set(val);
                }
                None => self.skip()?,
            },
            Level::EvidenceDetails if key == DUE_BY.0.as_bytes() => {
                let val = self.value()?;
                found.due_by.set(val);
            }
            Level::EvidenceDetails => self.skip()?,
        }
        debug_assert!(self.i > start);
        Ok(())
    }

    /// A value whose fields the rules read if it is an object (`data`, `data.object`,
    /// `evidence_details`); any other value is typed as usual. Only the first occurrence of such a
    /// key is descended into, so a repeated one cannot mix its fields with the first's.
    #[inline(always)]
    fn value_into(&mut self, inner: Level, found: &mut Found<'a>) -> Result<Val<'a>, Syntax> {
        let start = self.i;
        let first = match inner {
            Level::Data => found.data.val.is_none(),
            Level::DataObject => found.data_object.val.is_none(),
            Level::EvidenceDetails => found.object[OBJECT_EVIDENCE].val.is_none(),
            Level::Top => true,
        };
        if self.peek() == Some(b'{') && first {
            self.object(inner, found)?;
            Ok(Val { kind: Kind::Object, raw: &self.b[start..self.i] })
        } else {
            self.value()
        }
    }

    /// Any value, typed; containers are skipped.
    #[inline(always)]
    fn value(&mut self) -> Result<Val<'a>, Syntax> {
        let start = self.i;
        let kind = match self.peek() {
            Some(b'"') => {
                self.string()?;
                Kind::String
            }
            Some(b'{') => {
                self.container()?;
                Kind::Object
            }
            Some(b'[') => {
                self.container()?;
                Kind::Array
            }
            Some(b't') => self.literal(b"true", Kind::Bool)?,
            Some(b'f') => self.literal(b"false", Kind::Bool)?,
            Some(b'n') => self.literal(b"null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number(true)?,
            _ => return self.fail("expected a JSON value"),
        };
        Ok(Val { kind, raw: &self.b[start..self.i] })
    }

    /// Skip a value the rules do not read.
    #[inline(always)]
    fn skip(&mut self) -> Result<(), Syntax> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'{' | b'[') => self.container(),
            // A number no rule reads is not typed (no i64 parse).
            Some(b'-' | b'0'..=b'9') => self.number(false).map(drop),
            _ => self.value().map(drop),
        }
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Result<Kind, Syntax> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(kind)
        } else {
            self.fail("expected `true`, `false` or `null`")
        }
    }

    /// A number, by JSON's grammar; if `typed`, an integer if it has no fraction or exponent and
    /// fits an i64 (otherwise always [`Kind::Float`]).
    fn number(&mut self, typed: bool) -> Result<Kind, Syntax> {
        let start = self.i;
        let digits = |s: &mut Self| {
            let from = s.i;
            while let Some(b'0'..=b'9') = s.peek() {
                s.i += 1;
            }
            s.i - from
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let first = self.peek();
        let n = digits(self);
        if n == 0 || (first == Some(b'0') && n > 1) {
            return self.fail("malformed number");
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.i += 1;
            integer = false;
            if digits(self) == 0 {
                return self.fail("malformed number");
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            integer = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.fail("malformed number");
            }
        }
        // serde_json reads `-0` as a float (-0.0), not as the integer 0.
        let fits = || {
            let text = &self.b[start..self.i];
            text != b"-0" && std::str::from_utf8(text).is_ok_and(|s| s.parse::<i64>().is_ok())
        };
        Ok(if typed && integer && fits() { Kind::Integer } else { Kind::Float })
    }

    /// A string at `self.i` (`"`); returns its contents without the quotes, still escaped.
    #[inline(always)]
    fn string(&mut self) -> Result<&'a [u8], Syntax> {
        let start = self.i + 1;
        let mut at = start;
        loop {
            match next_quote_or_backslash(self.b, at) {
                Some(end) if self.b[end] == b'"' => {
                    self.i = end + 1;
                    return Ok(&self.b[start..end]);
                }
                // A backslash escapes the next byte (`\uXXXX` has no quote or backslash after it).
                Some(backslash) => at = backslash + 2,
                None => at = self.b.len() + 1,
            }
            if at > self.b.len() {
                self.i = self.b.len();
                return self.fail("unterminated string");
            }
        }
    }

    /// Skip an object or array at `self.i` by bracket depth, strings skipped whole. Not
    /// validated: the full parse that follows the rules rejects what is not JSON. The skipped
    /// containers are most of an event's bytes, so they go 64 bytes at a time: see [`Block`].
    fn container(&mut self) -> Result<(), Syntax> {
        let mut depth = 0usize;
        let mut strings = Strings::default();
        for at in (self.i..self.b.len()).step_by(Block::LEN) {
            let block = Block::read(&self.b[at..]);
            let mut brackets = (block.open | block.close) & !strings.inside(&block);
            while brackets != 0 {
                let k = brackets.trailing_zeros();
                if block.open & (1 << k) != 0 {
                    depth += 1;
                } else {
                    // The first bracket is the container's own opener, so depth is at least 1.
                    depth -= 1;
                    if depth == 0 {
                        self.i = at + k as usize + 1;
                        return Ok(());
                    }
                }
                brackets &= brackets - 1;
            }
        }
        self.i = self.b.len();
        if strings.inside_at_end != 0 {
            self.fail("unterminated string")
        } else {
            self.fail("unterminated object or array")
        }
    }
}

/// Up to 64 bytes of the body as bitmaps (bit k is byte k): the classification of simdjson's
/// first stage, with SIMD compares through `wide` (SSE2 on x86-64, NEON on ARM), no unsafe here.
/// A short last block is padded with NUL bytes, which are none of these.
struct Block {
    quote: u64,
    backslash: u64,
    /// `{` and `[`.
    open: u64,
    /// `}` and `]`.
    close: u64,
}

impl Block {
    const LEN: usize = 64;

    fn read(bytes: &[u8]) -> Block {
        let mut padded = [0u8; Block::LEN];
        let block: &[u8] = if bytes.len() >= Block::LEN {
            &bytes[..Block::LEN]
        } else {
            padded[..bytes.len()].copy_from_slice(bytes);
            &padded
        };
        let mut out = Block { quote: 0, backslash: 0, open: 0, close: 0 };
        for (n, chunk) in block.chunks_exact(16).enumerate() {
            let v = u8x16::new(chunk.try_into().expect("chunks of 16"));
            // `[`/`]` differ from `{`/`}` only in bit 0x20.
            let folded = v | u8x16::splat(0x20);
            let bits = |m: u8x16| u64::from(m.to_bitmask()) << (16 * n);
            out.quote |= bits(v.simd_eq(u8x16::splat(b'"')));
            out.backslash |= bits(v.simd_eq(u8x16::splat(b'\\')));
            out.open |= bits(folded.simd_eq(u8x16::splat(b'{')));
            out.close |= bits(folded.simd_eq(u8x16::splat(b'}')));
        }
        out
    }
}

/// Which bytes of consecutive blocks are inside strings, carried from block to block.
#[derive(Default)]
struct Strings {
    /// 1 when the last block ended in an odd run of backslashes (its next byte is escaped).
    escape_pending: u64,
    /// All ones when the last block ended inside a string.
    inside_at_end: u64,
}

impl Strings {
    /// The bytes of `block` inside a string: from an unescaped opening quote (included) to the
    /// closing one (excluded). Brackets there are text.
    fn inside(&mut self, block: &Block) -> u64 {
        let quotes = block.quote & !self.escaped(block.backslash);
        let inside = prefix_xor(quotes) ^ self.inside_at_end;
        self.inside_at_end = 0u64.wrapping_sub(inside >> 63);
        inside
    }

    /// The bytes escaped by a backslash: the byte after each odd-length run of backslashes
    /// (simdjson's branchless method; a run may start in an earlier block).
    fn escaped(&mut self, backslash: u64) -> u64 {
        const EVEN_BITS: u64 = 0x5555_5555_5555_5555;
        if backslash == 0 {
            return std::mem::take(&mut self.escape_pending);
        }
        let backslash = backslash & !self.escape_pending;
        let follows_escape = (backslash << 1) | self.escape_pending;
        let odd_starts = backslash & !EVEN_BITS & !follows_escape;
        let (starting_on_even_bits, overflow) = odd_starts.overflowing_add(backslash);
        self.escape_pending = u64::from(overflow);
        (EVEN_BITS ^ (starting_on_even_bits << 1)) & follows_escape
    }
}

/// Bit k of the result is the parity of bits 0..=k of `x`.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Bytes of `v` that are zero get their high bit set; the lowest set bit is always a true zero.
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGH
}

/// The first `"` or `\` at or after `i`. Most strings of an event are short (keys, ids), where
/// testing eight bytes at a time beats setting up `memchr`; after 64 bytes, `memchr2` (SIMD).
fn next_quote_or_backslash(b: &[u8], mut i: usize) -> Option<usize> {
    let short_end = i + 64;
    while let Some(word) = b.get(i..i + 8) {
        if i >= short_end {
            return memchr::memchr2(b'"', b'\\', &b[i..]).map(|k| i + k);
        }
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let hits = zero_bytes(w ^ (ONES * u64::from(b'"'))) | zero_bytes(w ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| c == b'"' || c == b'\\').map(|k| i + k)
}

/// A key with escapes, as JSON means it. A key that does not unescape can match no rule (and the
/// full parse rejects it).
fn key_text(raw: &[u8]) -> String {
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> Option<&'static str> {
        check(body.as_bytes()).err().map(|e| e.code().as_str())
    }

    /// Why `body` is refused (empty if it passes).
    fn reason(body: &str) -> String {
        check(body.as_bytes()).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn reads_the_envelope_borrowed() {
        let body = br#" {"id":"evt_1","object":"event","type":"x","account":"acct_1","livemode":true,
            "created":17,"api_version":"2026-10-28.endive","data":{"object":{"a":[1,{"b":"}]"}]}},"z":null} "#;
        let s = check(body).unwrap();
        assert!(matches!(s.id, Cow::Borrowed("evt_1")));
        assert_eq!(s.event_type, "x");
        assert_eq!(s.account.as_deref(), Some("acct_1"));
        assert!(s.livemode);
        assert_eq!(s.created, 17);
        assert_eq!(s.api_version.as_deref(), Some("2026-10-28.endive"));
        assert_eq!(s.data_object, br#"{"a":[1,{"b":"}]"}]}"#);
    }

    #[test]
    fn keys_and_strings_are_compared_unescaped() {
        // `typ\u0065` is `type`: twice is rejected, once is read.
        assert_eq!(
            code(r#"{"id":"evt_1","object":"event","type":"x","typ\u0065":"y","data":{"object":{}}}"#),
            Some("webhook_invalid_payload")
        );
        let s = check(br#"{"id":"evt_\"1","object":"\u0065vent","typ\u0065":"x","data":{"object":{}}}"#).unwrap();
        assert_eq!((s.id.as_ref(), s.event_type.as_ref()), ("evt_\"1", "x"));
    }

    #[test]
    fn a_repeated_unread_field_is_not_the_rules_business() {
        assert_eq!(code(r#"{"id":"evt_1","object":"event","type":"x","z":1,"z":2,"data":{"object":{}}}"#), None);
        // `name` matters to a deauthorization only.
        let dispute = r#"{"id":"dp_1","amount":1,"currency":"usd","status":"s","created":1,"name":1,"name":2}"#;
        let body = format!(
            r#"{{"id":"evt_1","object":"event","type":"charge.dispute.created","data":{{"object":{dispute}}}}}"#
        );
        assert_eq!(code(&body), None);
    }

    #[test]
    fn numbers_are_typed_like_serde() {
        let with = |created: &str| {
            format!(r#"{{"id":"e","object":"event","type":"x","created":{created},"data":{{"object":1}}}}"#)
        };
        for ok in ["0", "17", "-1", "-9223372036854775808", "9223372036854775807"] {
            assert_eq!(code(&with(ok)), None, "{ok}");
            assert!(serde_json::from_str::<i64>(ok).is_ok(), "serde agrees on {ok}");
        }
        for float in ["-0", "1.0", "1e3", "9223372036854775808", "-9223372036854775809"] {
            assert_eq!(code(&with(float)), Some("webhook_invalid_payload"), "{float}");
            assert!(serde_json::from_str::<i64>(float).is_err(), "serde agrees on {float}");
        }
        for bad in ["01", "-", "1.", "1e", "+1", ".5"] {
            assert_eq!(code(&with(bad)), Some("webhook_invalid_payload"), "{bad}");
        }
    }

    #[test]
    fn next_quote_or_backslash_finds_what_a_byte_loop_finds() {
        let mut long = vec![b'x'; 200];
        long[150] = b'\\';
        long[180] = b'"';
        let texts: [&[u8]; 5] = [b"abc\"def", b"0123456789abcdef\\\"", b"", b"\xa2\xdc\x5c\x22", &long];
        for t in texts {
            for i in 0..=t.len() {
                let naive = (i..t.len()).find(|&k| t[k] == b'"' || t[k] == b'\\');
                assert_eq!(next_quote_or_backslash(t, i), naive, "{:?} from {i}", String::from_utf8_lossy(t));
            }
        }
    }

    /// Where a byte-at-a-time skip of the container at 0 ends (`None`: it does not end). A
    /// backslash escapes the next byte wherever it is (JSON has none outside strings): an escaped
    /// quote is text; brackets count outside strings.
    fn naive_container_end(b: &[u8]) -> Option<usize> {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        for (k, &c) in b.iter().enumerate() {
            let is_escaped = escaped;
            escaped = c == b'\\' && !is_escaped;
            if in_string {
                in_string = c != b'"' || is_escaped;
                continue;
            }
            match c {
                b'"' if !is_escaped => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(k + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }

    #[test]
    fn the_block_skip_ends_where_a_byte_loop_ends() {
        // Runs of backslashes before quotes, brackets inside strings, across the 64-byte blocks:
        // bodies from a seeded generator over the bytes that matter.
        let alphabet = b"{}[]\"\\\\ ax:,";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut ended = 0;
        for _ in 0..20_000 {
            let len = (next() % 300) as usize;
            let mut body = vec![b'{'];
            body.extend((0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]));
            let mut scanner = Scanner::new(&body);
            let got = scanner.container().ok().map(|()| scanner.i);
            assert_eq!(got, naive_container_end(&body), "{:?}", String::from_utf8_lossy(&body));
            ended += usize::from(got.is_some());
        }
        assert!(ended > 1_000, "the generator must produce containers that end ({ended})");
    }

    #[test]
    fn an_escape_split_across_blocks_is_carried() {
        for pad in 55..70 {
            for slashes in 1..5 {
                let body = format!(r#"{{"{}{}"}}"}}"#, "x".repeat(pad), "\\".repeat(slashes));
                let mut scanner = Scanner::new(body.as_bytes());
                let got = scanner.container().ok().map(|()| scanner.i);
                assert_eq!(got, naive_container_end(body.as_bytes()), "{body}");
            }
        }
    }

    #[test]
    fn a_container_that_does_not_end_says_whether_a_string_is_open() {
        for pad in [0, 70] {
            let x = "x".repeat(pad);
            assert!(reason(&format!(r#"{{"a":["{x}"#)).contains("unterminated string"), "{pad}");
            assert!(reason(&format!(r#"{{"a":["{x}", 1"#)).contains("unterminated object or array"), "{pad}");
        }
    }

    #[test]
    fn data_keeps_its_other_fields_apart_from_the_object() {
        // `*.updated` events carry `data.previous_attributes` next to `data.object`.
        let body = br#"{"id":"evt_1","object":"event","type":"customer.updated",
            "data":{"previous_attributes":{"email":"old@example.com"},"object":{"id":"cus_1"}}}"#;
        assert_eq!(check(body).unwrap().data_object, br#"{"id":"cus_1"}"#);
    }

    #[test]
    fn numbers_of_every_form_pass_where_no_rule_reads_them() {
        // Unread fields at every level the scanner walks: skipped, not typed, never refused.
        let numbers = ["0", "-1", "1.25", "-0.5", "1e3", "2E-7", "-3.5e+2", "9223372036854775808"];
        for n in numbers {
            let body = format!(
                r#"{{"id":"evt_1","object":"event","type":"charge.dispute.created","fee":{n},
                "data":{{"rate":{n},"object":{{"id":"dp_1","amount":100,"currency":"usd","status":"lost",
                "created":1,"amount_decimal":{n},"evidence_details":{{"due_by":2,"score":{n}}}}}}},"weight":{n}}}"#
            );
            assert!(check(body.as_bytes()).is_ok(), "{n}: {:?}", check(body.as_bytes()).err().map(|e| e.to_string()));
        }
    }

    #[test]
    fn refusals_name_the_field_and_what_it_was() {
        let event = |created: &str| {
            format!(r#"{{"id":"e","object":"event","type":"x","created":{created},"data":{{"object":{{}}}}}}"#)
        };
        for (value, named) in [
            (r#""17""#, "a string"),
            ("1.5", "a number that is not an integer"),
            ("1e3", "a number that is not an integer"),
            ("-2.5E-3", "a number that is not an integer"),
            ("6E+2", "a number that is not an integer"),
            ("null", "null"),
            ("true", "a boolean"),
            ("[]", "an array"),
            ("{}", "an object"),
        ] {
            assert!(
                reason(&event(value)).contains(&format!("`created` is {named}")),
                "{value}: {}",
                reason(&event(value))
            );
        }
        let dispute =
            r#"{"id":"evt_1","object":"event","type":"charge.dispute.created","data":{"object":{"id":"dp_1"}}}"#;
        assert!(reason(dispute).contains("`data.object.amount` is missing"), "{}", reason(dispute));
    }

    #[test]
    fn a_body_cut_short_is_told_from_a_wrong_byte() {
        let cut = reason(r#"{"id":"evt_1","#);
        assert!(cut.contains("unexpected end of the body at byte 14"), "{cut}");
        let wrong = reason(r#"{"id" "evt_1"}"#);
        assert!(wrong.contains("expected `:` at byte 6") && !wrong.contains("unexpected end"), "{wrong}");
    }

    #[test]
    fn what_the_scanner_cannot_follow_is_invalid() {
        for bad in ["", "{", r#"{"id""#, r#"{"id":}"#, r#"{"id":"x"} x"#, r#"{"a":"\"}"#, r#"{"a":[}"#, "{'a':1}"] {
            assert_eq!(code(bad), Some("webhook_invalid_payload"), "{bad:?}");
        }
    }
}
