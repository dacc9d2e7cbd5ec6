//! The template engines, each a room of its own: [`go`] renders Helm charts
//! (Go `text/template` with sprig and Helm's functions, through the
//! `gotemplate` crate) exactly as Helm v4 does. berth's own handlebars
//! charts are rendered by [`crate::chart`].

pub mod go;
