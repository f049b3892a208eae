pub mod checks;
pub mod console;
pub mod guides;
pub mod home;
pub mod widget;
