pub mod console;
pub mod home;
pub mod widget;
