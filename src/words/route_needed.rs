//! Words for the `route_needed` rule.

use super::Text;
use crate::clinical::rules::route_needed::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
