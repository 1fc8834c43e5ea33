//! Words for the `missing_data` rule.

use super::Text;
use crate::clinical::rules::missing_data::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
