//! Words for the `steroid_sparing` rule.

use super::Text;
use crate::clinical::rules::steroid_sparing::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
