//! Keys: what a binding provides and what a dependency asks for.

use std::any::TypeId;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A Rust type as the injector sees it: its `TypeId` (identity) and its name (for messages).
#[derive(Clone, Copy)]
pub struct TypeInfo {
    id: TypeId,
    /// `type_name::<T>`, called only for messages: keeping the function rather than its result
    /// lets `TypeInfo::of` be a `const fn`, so code generated per component names a constant
    /// (`<T as Typed>::TYPE_INFO`) instead of instantiating a function per type.
    name: fn() -> &'static str,
}

impl TypeInfo {
    /// The `TypeInfo` of `T`.
    pub const fn of<T: ?Sized + 'static>() -> Self {
        TypeInfo {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>,
        }
    }

    /// The type's `TypeId`.
    pub fn type_id(&self) -> TypeId {
        self.id
    }

    /// The full path name, as `std::any::type_name` spells it.
    pub fn full_name(&self) -> &'static str {
        (self.name)()
    }

    /// The name without module paths: `Arc<dyn Database>` rather than
    /// `alloc::sync::Arc<dyn app::db::Database>`.
    pub fn short_name(&self) -> String {
        short_type_name(self.full_name())
    }
}

impl PartialEq for TypeInfo {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for TypeInfo {}
impl Hash for TypeInfo {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}
impl PartialOrd for TypeInfo {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TypeInfo {
    /// By name first so that orders shown to users do not depend on `TypeId` values.
    fn cmp(&self, other: &Self) -> Ordering {
        self.full_name()
            .cmp(other.full_name())
            .then(self.id.cmp(&other.id))
    }
}
impl fmt::Debug for TypeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.full_name())
    }
}
impl fmt::Display for TypeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short_name())
    }
}

/// Drops the module path of every path in a type name, keeping generics, `dyn`, tuples and
/// references intact: `core::option::Option<alloc::string::String>` → `Option<String>`.
/// Segments the compiler invents for items declared inside a function body or closure
/// (`{{closure}}`, `{{constant}}`) go with the path: `app::main::{{closure}}::Db` → `Db`.
pub fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    // Where the path being written started; `::` truncates back to it.
    let mut path_start = 0;
    let mut rest = full;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("::") {
            out.truncate(path_start);
            rest = after;
            continue;
        }
        if rest.starts_with("{{")
            && let Some(end) = rest.find("}}")
        {
            let (segment, after) = rest.split_at(end + 2);
            // Only a segment followed by more path is dropped; a type that is itself
            // `{{closure}}` keeps the name.
            if !after.starts_with("::") {
                out.push_str(segment);
            }
            rest = after;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
        if !(c.is_alphanumeric() || c == '_') {
            path_start = out.len();
        }
    }
    out
}

/// The id of a named binding: `make::<String>().named("db-url")`.
///
/// Ids of up to 22 bytes (nearly all of them) are kept inline: cloning, hashing and comparing
/// such an id touches no other memory, which keeps planning thousands of named bindings within
/// the cache.
#[derive(Clone)]
pub struct Id(IdRepr);

/// The longest id kept inline.
const INLINE: usize = 22;

#[derive(Clone)]
enum IdRepr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Static(&'static str),
    Shared(Arc<str>),
}

impl Id {
    fn inline(s: &str) -> Option<Self> {
        let len = s.len();
        if len > INLINE {
            return None;
        }
        let mut bytes = [0u8; INLINE];
        bytes[..len].copy_from_slice(s.as_bytes());
        Some(Id(IdRepr::Inline {
            len: len as u8,
            bytes,
        }))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Always valid: the bytes were copied from a `str`.
            IdRepr::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            IdRepr::Static(s) => s,
            IdRepr::Shared(s) => s,
        }
    }

    /// The id's bytes: what equality, ordering and hashing use.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            IdRepr::Inline { len, bytes } => &bytes[..*len as usize],
            IdRepr::Static(s) => s.as_bytes(),
            IdRepr::Shared(s) => s.as_bytes(),
        }
    }
}

impl From<&'static str> for Id {
    fn from(s: &'static str) -> Self {
        Id::inline(s).unwrap_or(Id(IdRepr::Static(s)))
    }
}
impl From<String> for Id {
    fn from(s: String) -> Self {
        Id::inline(&s).unwrap_or_else(|| Id(IdRepr::Shared(s.into())))
    }
}
impl From<Arc<str>> for Id {
    fn from(s: Arc<str>) -> Self {
        Id::inline(&s).unwrap_or(Id(IdRepr::Shared(s)))
    }
}
impl PartialEq for Id {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            // The unused bytes are zero: the arrays compare whole, with no call.
            (IdRepr::Inline { len: a, bytes: x }, IdRepr::Inline { len: b, bytes: y }) => {
                a == b && x == y
            }
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}
impl Eq for Id {}
impl Hash for Id {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}
impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Id {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}
impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a key names: one instance, or the set collecting a `many` binding's elements.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[repr(u8)]
pub enum KeyKind {
    /// One instance of the type (`make::<T>()`).
    Single,
    /// The set of elements of type `T` (`many::<T>()`), injected as `Set<T>`.
    Set,
}

/// A dependency-injection key: a type, an optional id, and whether it names a set.
///
/// An unnamed request never matches a named binding, and vice versa.
#[derive(Clone)]
pub struct DIKey {
    ty: TypeInfo,
    kind: KeyKind,
    id: Option<Id>,
    /// Computed once: keys are hashed on every planning step and lookup.
    hash: u64,
}

/// The hash of a key's parts; the locator's index computes the same from a lookup's parts.
#[inline]
pub(crate) fn key_hash(ty: TypeId, kind: KeyKind, id: Option<&[u8]>) -> u64 {
    // The kind picks the starting state, so an unnamed key costs one multiply (the `TypeId`).
    let mut h = crate::hash::key_hasher(kind as u64);
    ty.hash(&mut h);
    if let Some(id) = id {
        h.write(id);
    }
    h.finish()
}

impl DIKey {
    /// The unnamed key of `T`.
    pub fn of<T: ?Sized + 'static>() -> Self {
        Self::new(const { TypeInfo::of::<T>() }, KeyKind::Single, None)
    }

    /// The key of `T` bound with `.named(id)`.
    pub fn named<T: ?Sized + 'static>(id: impl Into<Id>) -> Self {
        Self::new(
            const { TypeInfo::of::<T>() },
            KeyKind::Single,
            Some(id.into()),
        )
    }

    /// The key of the set of `T` elements (`many::<T>()`).
    pub fn set_of<T: ?Sized + 'static>() -> Self {
        Self::new(const { TypeInfo::of::<T>() }, KeyKind::Set, None)
    }

    /// Builds a key from its parts.
    pub fn new(ty: TypeInfo, kind: KeyKind, id: Option<Id>) -> Self {
        let hash = key_hash(ty.type_id(), kind, id.as_ref().map(Id::as_bytes));
        DIKey { ty, kind, id, hash }
    }

    /// The same key with `id` (or without one).
    pub fn with_id(self, id: Option<Id>) -> Self {
        Self::new(self.ty, self.kind, id)
    }

    pub(crate) fn cached_hash(&self) -> u64 {
        self.hash
    }

    /// The bound type (the element type for set keys).
    pub fn type_info(&self) -> TypeInfo {
        self.ty
    }

    /// The id, if the key is named.
    pub fn id(&self) -> Option<&Id> {
        self.id.as_ref()
    }

    /// Single instance or set.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// True for set keys.
    pub fn is_set(&self) -> bool {
        self.kind == KeyKind::Set
    }
}

impl PartialEq for DIKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
            && self.ty == other.ty
            && self.kind == other.kind
            && self.id == other.id
    }
}
impl Eq for DIKey {}
impl Hash for DIKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}
impl PartialOrd for DIKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for DIKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.ty, self.kind, &self.id).cmp(&(other.ty, other.kind, &other.id))
    }
}

impl fmt::Display for DIKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            KeyKind::Single => write!(f, "{}", self.ty)?,
            KeyKind::Set => write!(f, "Set<{}>", self.ty)?,
        }
        if let Some(id) = &self.id {
            write!(f, " @ {:?}", id.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for DIKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DIKey({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_module_paths_everywhere() {
        assert_eq!(
            short_type_name("alloc::sync::Arc<dyn app::db::Database>"),
            "Arc<dyn Database>"
        );
        assert_eq!(
            short_type_name("core::option::Option<(u8, alloc::string::String)>"),
            "Option<(u8, String)>"
        );
        assert_eq!(
            short_type_name(
                "alloc::sync::Arc<dyn core::ops::function::Fn(u8) -> alloc::string::String + core::marker::Send>"
            ),
            "Arc<dyn Fn(u8) -> String + Send>"
        );
        assert_eq!(short_type_name("[a::B; 4]"), "[B; 4]");
    }

    #[test]
    fn short_names_drop_the_segments_of_function_bodies_and_closures() {
        assert_eq!(short_type_name("app::main::{{closure}}::Db"), "Db");
        assert_eq!(
            short_type_name("alloc::sync::Arc<dyn app::t::{{closure}}::{{closure}}::Repo>"),
            "Arc<dyn Repo>"
        );
        assert_eq!(
            short_type_name("app::f::{{constant}}::X<app::f::{{closure}}::Y, u8>"),
            "X<Y, u8>"
        );
        assert_eq!(short_type_name("app::main::{{closure}}"), "{{closure}}");
        assert_eq!(short_type_name("app::Broken{{"), "Broken{{");
    }

    #[test]
    fn keys_display_their_id_and_set_kind() {
        assert_eq!(
            DIKey::named::<String>("db-url").to_string(),
            "String @ \"db-url\""
        );
        assert_eq!(DIKey::set_of::<u8>().to_string(), "Set<u8>");
        assert_ne!(DIKey::of::<String>(), DIKey::named::<String>("x"));
        assert_ne!(DIKey::of::<String>(), DIKey::set_of::<String>());
        assert_eq!(
            DIKey::named::<String>("x"),
            DIKey::named::<String>(String::from("x"))
        );
    }

    #[test]
    fn ids_are_equal_whatever_their_length_or_source() {
        let long = "a-rather-long-identifier-for-a-binding";
        assert!(long.len() > INLINE);
        for text in ["", "n7", "exactly-22-bytes-long!", long] {
            let from_static = Id::from(text);
            let from_string = Id::from(text.to_string());
            let from_arc = Id::from(Arc::<str>::from(text));
            assert_eq!(from_static.as_str(), text);
            assert_eq!(from_static, from_string);
            assert_eq!(from_string, from_arc);
            assert_eq!(
                DIKey::named::<u8>(from_static).cached_hash(),
                DIKey::named::<u8>(from_arc).cached_hash()
            );
        }
        assert!(Id::from("ab") < Id::from("b"));
        // The last 8-byte word is padded with zeros: the length keeps these apart.
        let hash = |id: &'static str| DIKey::named::<u8>(id).cached_hash();
        assert_ne!(hash("a"), hash("a\0"));
        assert_ne!(hash("a"), hash("a\0\0\0\0\0\0\0"));
        assert_ne!(Id::from("ab"), Id::from(long));
    }
}
