//! What the widget holds while a customer reports a fault: one struct of
//! signal handles (each `Copy`), handed whole to the form, the walk and the
//! host bridge instead of a dozen props each.

use super::*;

#[derive(Clone, Copy)]
pub(super) struct WidgetState {
    pub name: RwSignal<String>,
    pub phone: RwSignal<String>,
    /// Text messages about the case to `phone` (the customer's choice).
    pub sms: RwSignal<bool>,
    /// Optional: e-mails about the case go here.
    pub email: RwSignal<String>,
    pub asset: RwSignal<Option<i64>>,
    pub symptom: RwSignal<String>,
    pub stage: RwSignal<Stage>,
    pub steps: RwSignal<Vec<WalkStep>>,
    /// Client-side validation errors and server answers share one slot.
    pub error: RwSignal<Option<AppError>>,
    pub offer: RwSignal<Option<GuideOffer>>,
    pub guide: RwSignal<Option<Guide>>,
    /// The guide a restored draft was walking, (id, version), until the
    /// walk has reloaded the guides and found it again.
    pub resume: StoredValue<Option<(String, u32)>>,
    /// (guide id, session id) of the walk under way, for the guide's analytics.
    pub session: RwSignal<Option<(String, String)>>,
    /// The widget's id for this report, made on first use; photos taken
    /// during the walk are held against it until the case exists.
    pub submission_id: StoredValue<Option<String>>,
}

impl WidgetState {
    pub fn new() -> Self {
        WidgetState {
            name: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
            sms: RwSignal::new(false),
            email: RwSignal::new(String::new()),
            asset: RwSignal::new(None),
            symptom: RwSignal::new(String::new()),
            stage: RwSignal::new(Stage::Intake),
            steps: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            offer: RwSignal::new(None),
            guide: RwSignal::new(None),
            resume: StoredValue::new(None),
            session: RwSignal::new(None),
            submission_id: StoredValue::new(None),
        }
    }

    /// Puts back what a reload interrupted.
    pub fn restore(&self, d: drafts::Draft) {
        self.name.set(d.name);
        self.phone.set(d.phone);
        self.sms.set(d.sms);
        self.email.set(d.email);
        self.asset.set(d.asset_id);
        self.symptom.set(d.symptom);
        self.steps.set(d.steps);
        self.resume.set_value(d.guide);
        self.session.set(d.session);
        self.submission_id.set_value(d.submission_id);
        if d.in_guide {
            self.stage.set(Stage::Guide);
        }
    }

    /// The draft kept in this browser (read tracked: the caller is an effect).
    pub fn draft(&self) -> drafts::Draft {
        drafts::Draft {
            name: self.name.get(),
            phone: self.phone.get(),
            sms: self.sms.get(),
            email: self.email.get(),
            asset_id: self.asset.get(),
            symptom: self.symptom.get(),
            guide: self.guide.with(|g| g.as_ref().map(|g| (g.id.clone(), g.version))).or_else(|| self.resume.get_value()),
            steps: self.steps.get(),
            session: self.session.get(),
            submission_id: self.submission_id.get_value(),
            in_guide: matches!(self.stage.get(), Stage::Guide),
        }
    }

    /// A new, empty report.
    pub fn start_over(&self) {
        self.name.set(String::new());
        self.phone.set(String::new());
        self.sms.set(false);
        self.email.set(String::new());
        self.asset.set(None);
        self.symptom.set(String::new());
        self.steps.set(Vec::new());
        self.offer.set(None);
        self.guide.set(None);
        self.resume.set_value(None);
        self.session.set(None);
        self.error.set(None);
        self.submission_id.set_value(None);
        self.stage.set(Stage::Intake);
    }
}
