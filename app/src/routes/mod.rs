//! Pages: the console (not in the widget's bundle), the home page, the widget.

#[cfg(feature = "console")]
pub mod console;
pub mod home;
pub mod widget;
