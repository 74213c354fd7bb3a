//! The catalog of record categories (信用信息目录): read by everyone who files or reads records,
//! changed by the credit office.

use probity_domain::catalog::{Catalog, Category};

use crate::{Actor, App, AppResult};

/// The catalog as it is now.
pub fn current(app: &App) -> AppResult<Catalog> {
    Ok(app.store().catalog()?)
}

/// Adds or changes a category; journaled.
pub fn save(app: &App, actor: &Actor, cat: &Category) -> AppResult<()> {
    Ok(app.store().save_category(cat, &actor.name())?)
}
