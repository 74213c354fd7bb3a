//! Domain errors: a stable machine code (for the API and the error reports) and a Chinese message
//! for the person who has to fix the input.

use std::fmt;

/// Stable error codes. The string form (`as_str`) is part of the API and the import error reports:
/// never rename one, add new ones freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    UsccLength,
    UsccCharset,
    UsccRegistrationAuthority,
    UsccDivision,
    UsccOrgCodeCheckDigit,
    UsccCheckDigit,
    IdNumberLength,
    IdNumberCharset,
    IdNumberBirthDate,
    IdNumberCheckDigit,
    DateInvalid,
    Required,
    TooLong,
    UnknownCategory,
    UnknownSeverity,
    UnknownScope,
    UnknownSubjectKind,
    UnknownState,
    SubjectIdentifierMissing,
    SubjectIdentifierConflict,
    SubjectNotFound,
    SubjectNameMismatch,
    SubjectExists,
    ParentNotFound,
    ProviderNotFound,
    ProviderNotAllowed,
    DisclosureOutOfRange,
    SeverityNotApplicable,
    IllegalTransition,
    Forbidden,
    DuplicateConflict,
    CategoryInvalid,
    AccountNameInvalid,
    /// An account holder's real name (姓名) is missing or not a name.
    RealNameInvalid,
    /// An account holder's phone number is neither a mobile nor a landline number.
    PhoneInvalid,
    /// An account holder's e-mail address (邮箱) is not an address mail can be sent to.
    EmailInvalid,
    /// A date falls in a year the working-day calendar does not know.
    CalendarYearMissing,
    /// Calendar data that contradicts itself (a date twice, a make-up day on a weekday …).
    CalendarInvalid,
    PasswordWeak,
    AccountExists,
    AccountNotFound,
    AccountDisabled,
    UnknownRole,
    RoleUnitMismatch,
    LoginFailed,
    AccountLocked,
    TotpRequired,
    TotpInvalid,
    TotpAlreadyEnabled,
    SessionExpired,
    TokenInvalid,
    /// A text field holds NUL, another control character or a bidirectional override.
    TextControlChar,
    /// Too many failed subject lookups by ID number from one account.
    LookupLimited,
    /// The separation of duties (三员分立) forbids this action for this actor on this account.
    DutySeparation,
    /// The account must change its one-time password before anything else.
    PasswordChangeRequired,
    /// The current password given to change it is wrong.
    PasswordWrong,
    /// Too many requests of one kind from one client (e.g. credit reports).
    RateLimited,
    /// A text is shorter than its rule asks (e.g. a complaint's content).
    TooShort,
    /// A case is closed (已办结): nothing more happens on it but the complainant's rating.
    CaseClosed,
    /// The case engine's deadlines (thresholds as data) do not make sense.
    DeadlinesInvalid,
    /// The record cannot be objected to in its state (only an active record can).
    RecordNotObjectable,
    /// The record's category (or the record's state) does not allow credit repair.
    RepairNotRepairable,
    /// The minimum disclosure period before a repair application has not passed.
    RepairTooEarly,
    /// A repair application without the signed 信用承诺书.
    RepairCommitmentMissing,
    /// A repair application that does not declare the obligations fulfilled.
    RepairObligationsUnmet,
    /// A complaint's rating outside 1–5.
    RatingInvalid,
    /// A complaint channel other than web, hotline, new_media, letter.
    ChannelInvalid,
    /// A complaint tracking number that does not have the shape TS20261202-0007.
    TrackingNoInvalid,
    /// 从轻或免于惩戒 asked for a subject it does not apply to (only civil servants).
    LeniencyNotApplicable,
    /// An attachment with no content.
    AttachmentEmpty,
    /// An attachment over the size limit.
    AttachmentTooLarge,
    /// An attachment whose content is not what its file name says.
    AttachmentTypeMismatch,
    /// An attachment of a type the platform does not accept.
    AttachmentTypeUnsupported,
    /// An assessment indicator set (考核指标体系) that does not hold together: an unknown field, a
    /// weight that does not add up, an unknown metric or category, a threshold out of order.
    IndicatorSetInvalid,
    /// A measures list (联合奖惩措施清单) that does not hold together.
    MeasuresInvalid,
    /// A sanction or reward rule that names an unknown measure, category or grade.
    SanctionRuleInvalid,
    /// A credit check for a purpose the platform does not know.
    PurposeUnknown,
    /// An assessment period (考核期) or year the platform does not know.
    PeriodUnknown,
    /// A score given by hand outside the indicator's range, or on an indicator not scored by hand.
    ScoreOutOfRange,
    /// A change to an assessment period already closed (已归档).
    PeriodClosed,
    /// Reopening or disputing an assessment period that is not closed.
    PeriodNotClosed,
    /// Feedback (反馈) on a credit check that already has its feedback: one per check.
    FeedbackExists,
    /// Feedback on a credit check whose answer was not `restricted` (nothing to apply).
    CheckNotRestricted,
    /// A dispute of an assessment result (考核结果异议) filed after its window closed (five
    /// working days from publication).
    DisputeWindowClosed,
    /// A second dispute of the same unit's result in the same period while one is open.
    DisputeExists,
    /// A dispute naming an indicator the period's indicator set does not have.
    DisputeIndicatorUnknown,
    /// A commitment kind's rule (thresholds as data) that does not make sense.
    CommitmentRuleInvalid,
    /// An amount of money that is not a non-negative number of 元 with at most two decimals.
    AmountInvalid,
    /// A daily late-payment rate that is zero, negative or over 1% a day.
    RateInvalid,
    /// A yes/no cell that is neither 是 nor 否.
    FlagInvalid,
    /// A payment term over the 60 days the 保障中小企业款项支付条例 allows.
    PaymentTermTooLong,
    /// A payment for a contract the registry does not hold.
    ContractUnknown,
    /// A payment whose contract number several purchasers use, without the purchaser.
    ContractAmbiguous,
    /// A changed contract row for a contract that already has payments.
    ContractHasPayments,
    /// A payment larger than what is unpaid on its contract.
    PaymentExceedsUnpaid,
    /// A payment dated before the contract's delivery or acceptance, or before it has one.
    PaymentBeforeAcceptance,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::UsccLength => "USCC_LENGTH",
            Code::UsccCharset => "USCC_CHARSET",
            Code::UsccRegistrationAuthority => "USCC_REGISTRATION_AUTHORITY",
            Code::UsccDivision => "USCC_DIVISION",
            Code::UsccOrgCodeCheckDigit => "USCC_ORG_CODE_CHECK_DIGIT",
            Code::UsccCheckDigit => "USCC_CHECK_DIGIT",
            Code::IdNumberLength => "ID_NUMBER_LENGTH",
            Code::IdNumberCharset => "ID_NUMBER_CHARSET",
            Code::IdNumberBirthDate => "ID_NUMBER_BIRTH_DATE",
            Code::IdNumberCheckDigit => "ID_NUMBER_CHECK_DIGIT",
            Code::DateInvalid => "DATE_INVALID",
            Code::Required => "REQUIRED",
            Code::TooLong => "TOO_LONG",
            Code::UnknownCategory => "UNKNOWN_CATEGORY",
            Code::UnknownSeverity => "UNKNOWN_SEVERITY",
            Code::UnknownScope => "UNKNOWN_SCOPE",
            Code::UnknownSubjectKind => "UNKNOWN_SUBJECT_KIND",
            Code::UnknownState => "UNKNOWN_STATE",
            Code::SubjectIdentifierMissing => "SUBJECT_IDENTIFIER_MISSING",
            Code::SubjectIdentifierConflict => "SUBJECT_IDENTIFIER_CONFLICT",
            Code::SubjectNotFound => "SUBJECT_NOT_FOUND",
            Code::SubjectNameMismatch => "SUBJECT_NAME_MISMATCH",
            Code::SubjectExists => "SUBJECT_EXISTS",
            Code::ParentNotFound => "PARENT_NOT_FOUND",
            Code::ProviderNotFound => "PROVIDER_NOT_FOUND",
            Code::ProviderNotAllowed => "PROVIDER_NOT_ALLOWED",
            Code::DisclosureOutOfRange => "DISCLOSURE_OUT_OF_RANGE",
            Code::SeverityNotApplicable => "SEVERITY_NOT_APPLICABLE",
            Code::IllegalTransition => "ILLEGAL_TRANSITION",
            Code::Forbidden => "FORBIDDEN",
            Code::DuplicateConflict => "DUPLICATE_CONFLICT",
            Code::CategoryInvalid => "CATEGORY_INVALID",
            Code::AccountNameInvalid => "ACCOUNT_NAME_INVALID",
            Code::RealNameInvalid => "REAL_NAME_INVALID",
            Code::PhoneInvalid => "PHONE_INVALID",
            Code::EmailInvalid => "EMAIL_INVALID",
            Code::CalendarYearMissing => "CALENDAR_YEAR_MISSING",
            Code::CalendarInvalid => "CALENDAR_INVALID",
            Code::PasswordWeak => "PASSWORD_WEAK",
            Code::AccountExists => "ACCOUNT_EXISTS",
            Code::AccountNotFound => "ACCOUNT_NOT_FOUND",
            Code::AccountDisabled => "ACCOUNT_DISABLED",
            Code::UnknownRole => "UNKNOWN_ROLE",
            Code::RoleUnitMismatch => "ROLE_UNIT_MISMATCH",
            Code::LoginFailed => "LOGIN_FAILED",
            Code::AccountLocked => "ACCOUNT_LOCKED",
            Code::TotpRequired => "TOTP_REQUIRED",
            Code::TotpInvalid => "TOTP_INVALID",
            Code::TotpAlreadyEnabled => "TOTP_ALREADY_ENABLED",
            Code::SessionExpired => "SESSION_EXPIRED",
            Code::TokenInvalid => "TOKEN_INVALID",
            Code::TextControlChar => "TEXT_CONTROL_CHAR",
            Code::LookupLimited => "LOOKUP_LIMITED",
            Code::DutySeparation => "DUTY_SEPARATION",
            Code::PasswordChangeRequired => "PASSWORD_CHANGE_REQUIRED",
            Code::PasswordWrong => "PASSWORD_WRONG",
            Code::RateLimited => "RATE_LIMITED",
            Code::TooShort => "TOO_SHORT",
            Code::CaseClosed => "CASE_CLOSED",
            Code::DeadlinesInvalid => "DEADLINES_INVALID",
            Code::RecordNotObjectable => "RECORD_NOT_OBJECTABLE",
            Code::RepairNotRepairable => "REPAIR_NOT_REPAIRABLE",
            Code::RepairTooEarly => "REPAIR_TOO_EARLY",
            Code::RepairCommitmentMissing => "REPAIR_COMMITMENT_MISSING",
            Code::RepairObligationsUnmet => "REPAIR_OBLIGATIONS_UNMET",
            Code::RatingInvalid => "RATING_INVALID",
            Code::ChannelInvalid => "CHANNEL_INVALID",
            Code::TrackingNoInvalid => "TRACKING_NO_INVALID",
            Code::LeniencyNotApplicable => "LENIENCY_NOT_APPLICABLE",
            Code::AttachmentEmpty => "ATTACHMENT_EMPTY",
            Code::AttachmentTooLarge => "ATTACHMENT_TOO_LARGE",
            Code::AttachmentTypeMismatch => "ATTACHMENT_TYPE_MISMATCH",
            Code::AttachmentTypeUnsupported => "ATTACHMENT_TYPE_UNSUPPORTED",
            Code::IndicatorSetInvalid => "INDICATOR_SET_INVALID",
            Code::MeasuresInvalid => "MEASURES_INVALID",
            Code::SanctionRuleInvalid => "SANCTION_RULE_INVALID",
            Code::PurposeUnknown => "PURPOSE_UNKNOWN",
            Code::PeriodUnknown => "PERIOD_UNKNOWN",
            Code::ScoreOutOfRange => "SCORE_OUT_OF_RANGE",
            Code::PeriodClosed => "PERIOD_CLOSED",
            Code::PeriodNotClosed => "PERIOD_NOT_CLOSED",
            Code::FeedbackExists => "FEEDBACK_EXISTS",
            Code::CheckNotRestricted => "CHECK_NOT_RESTRICTED",
            Code::DisputeWindowClosed => "DISPUTE_WINDOW_CLOSED",
            Code::DisputeExists => "DISPUTE_EXISTS",
            Code::DisputeIndicatorUnknown => "DISPUTE_INDICATOR_UNKNOWN",
            Code::CommitmentRuleInvalid => "COMMITMENT_RULE_INVALID",
            Code::AmountInvalid => "AMOUNT_INVALID",
            Code::RateInvalid => "RATE_INVALID",
            Code::FlagInvalid => "FLAG_INVALID",
            Code::PaymentTermTooLong => "PAYMENT_TERM_TOO_LONG",
            Code::ContractUnknown => "CONTRACT_UNKNOWN",
            Code::ContractAmbiguous => "CONTRACT_AMBIGUOUS",
            Code::ContractHasPayments => "CONTRACT_HAS_PAYMENTS",
            Code::PaymentExceedsUnpaid => "PAYMENT_EXCEEDS_UNPAID",
            Code::PaymentBeforeAcceptance => "PAYMENT_BEFORE_ACCEPTANCE",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule of the domain was broken. `message` is Chinese and names the offending value, so that an
/// official reading an import report knows what to fix without asking anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    pub code: Code,
    pub message: String,
}

impl DomainError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        DomainError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DomainError {}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
