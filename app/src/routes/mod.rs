pub mod case_actions;
pub mod checks;
pub mod console;
pub mod guides;
pub mod home;
pub mod settings;
pub mod widget;
