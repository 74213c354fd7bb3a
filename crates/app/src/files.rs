//! Files of records or of the roster handed in through the web (an upload, or the body of an API
//! call): the provider resolved for the actor, the import run on the app's clock. The row-level
//! work is [`crate::import`], shared with the command line.

use std::path::{Path, PathBuf};

use probity_domain::account::AccountRole;
use probity_store::Channel;

use crate::import::{
    ImportFailure, Progress, RecordImportArgs, RosterImportArgs, Summary, import_records_showing,
    import_roster,
};
use crate::records::provider_of;
use crate::{Actor, App, AppError, AppResult};

/// How a file of records is to be imported.
pub struct RecordsFile<'a> {
    pub file: &'a Path,
    /// The provider the credit office names (a provider account always imports as its own
    /// unit): resolved with [`provider_ref`] first.
    pub provider: &'a str,
    /// The credit office activates the records in the same step.
    pub activate: bool,
    /// Commit nothing when any row is rejected.
    pub all_or_nothing: bool,
    /// Where every rejected row is written, with its reason.
    pub errors: Option<PathBuf>,
    pub batch_size: usize,
    /// How many rejected rows the summary keeps.
    pub max_shown: usize,
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    pub channel: Channel,
}

/// The provider a file is imported for, as a reference the import resolves again (its USCC, or
/// its name when it has none): the actor's own unit for a provider, else the unit named, checked
/// against the roster now rather than when the import starts.
pub fn provider_ref(app: &App, actor: &Actor, named: Option<&str>) -> AppResult<String> {
    let s = provider_of(app, actor, named)?;
    Ok(s.uscc.unwrap_or(s.name))
}

/// Imports a file of records for the actor. Only the credit office may activate in the same step.
pub fn import_records(app: &App, actor: &Actor, f: RecordsFile<'_>) -> AppResult<Summary> {
    if f.activate && actor.role() != AccountRole::Admin {
        return Err(AppError::Forbidden(
            "只有信用办可以在导入时直接审核生效".into(),
        ));
    }
    let args = RecordImportArgs {
        file: f.file,
        provider: f.provider,
        activate: f.activate,
        all_or_nothing: f.all_or_nothing,
        errors: f.errors,
        batch_size: f.batch_size,
        actor: actor.name(),
        today: app.today(),
        progress: f.progress,
        channel: f.channel,
    };
    import_records_showing(app.store(), args, f.max_shown).map_err(failure)
}

/// Imports a file of the roster (units and civil servants).
pub fn import_roster_file(
    app: &App,
    actor: &Actor,
    file: &Path,
    errors: Option<PathBuf>,
) -> AppResult<Summary> {
    import_roster(
        app.store(),
        RosterImportArgs {
            file,
            allow_check_override: false,
            errors,
            actor: actor.name(),
        },
    )
    .map_err(failure)
}

fn failure(e: ImportFailure) -> AppError {
    match e {
        ImportFailure::File(e) => AppError::File(e),
        ImportFailure::Store(e) => e.into(),
    }
}
