//! Words for the `iv_methylprednisolone` rule.

use super::Text;
use crate::clinical::rules::iv_methylprednisolone::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
