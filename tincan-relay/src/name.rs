//! Display names: the rule that keeps them visible, so that nobody can pass for someone else
//! with invisible or reordering characters. The UI's `cleanName` applies the same rule.

use unicode_general_category::{get_general_category, GeneralCategory as G};

use crate::protocol::{MAX_COMBINING_RUN, MAX_COMBINING_TOTAL, MAX_NAME_CHARS};

/// Trims a display name and checks it: at most 32 characters; no control, format or
/// line/paragraph separator characters (Unicode Cc, Cf, Zl, Zp), which could hide or reorder
/// text (U+202E, U+200B); at most 2 combining marks in a row and 8 in all, so marks cannot
/// pile up over other text.
pub fn clean_name(name: Option<&str>) -> Result<String, &'static str> {
    let name = name.unwrap_or_default().trim();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err("name must be at most 32 characters long");
    }
    let (mut run, mut total) = (0, 0);
    for c in name.chars() {
        match get_general_category(c) {
            G::Control => return Err("name must not contain control characters"),
            G::Format | G::LineSeparator | G::ParagraphSeparator => {
                return Err("name must not contain invisible format or separator characters")
            }
            G::NonspacingMark | G::SpacingMark | G::EnclosingMark => {
                run += 1;
                total += 1;
                if run > MAX_COMBINING_RUN {
                    return Err("name must not have more than 2 combining marks in a row");
                }
                if total > MAX_COMBINING_TOTAL {
                    return Err("name must not have more than 8 combining marks");
                }
            }
            _ => run = 0,
        }
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert_eq!(clean_name(Some("  Ann  ")).unwrap(), "Ann");
        assert_eq!(clean_name(None).unwrap(), "");
        assert!(clean_name(Some(&"é".repeat(32))).is_ok());
        assert!(clean_name(Some(&"é".repeat(33))).is_err());
        assert!(clean_name(Some("a\u{7}b")).is_err());
        // Invisible format and separator characters.
        for sneaky in [
            "Ann\u{202e}",
            "A\u{200b}nn",
            "An\u{2028}n",
            "An\u{2029}n",
            "\u{feff}Ann",
        ] {
            assert!(clean_name(Some(sneaky)).is_err(), "{sneaky:?}");
        }
        // Combining marks: real text passes, piles do not.
        assert!(clean_name(Some("Zoe\u{301}")).is_ok());
        assert!(clean_name(Some("Ngu\u{1ec5}n Th\u{1ecb}")).is_ok());
        assert!(clean_name(Some("\u{928}\u{92e}\u{938}\u{94d}\u{924}\u{947}")).is_ok());
        assert!(clean_name(Some("a\u{301}\u{302}")).is_ok());
        assert!(clean_name(Some("a\u{301}\u{302}\u{303}")).is_err());
        assert!(clean_name(Some(&"a\u{301}".repeat(9))).is_err());
        assert!(clean_name(Some(&"a\u{301}".repeat(8))).is_ok());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn is_mark(c: char) -> bool {
        matches!(
            get_general_category(c),
            G::NonspacingMark | G::SpacingMark | G::EnclosingMark
        )
    }

    /// Names mixing ordinary letters with the characters the rule is about.
    fn tricky_name() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => any::<char>(),
            3 => proptest::char::range('a', 'z'),
            1 => Just(' '),
            1 => Just('\u{301}'),
            1 => Just('\u{93f}'),
            1 => Just('\u{20dd}'),
            1 => Just('\u{202e}'),
            1 => Just('\u{200b}'),
            1 => Just('\u{2028}'),
            1 => Just('\u{2029}'),
            1 => Just('\u{feff}'),
            1 => Just('\u{85}'),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn accepted_names_hold_nothing_hidden(name in tricky_name()) {
            let Ok(clean) = clean_name(Some(&name)) else { return Ok(()) };
            prop_assert_eq!(clean.as_str(), name.trim());
            prop_assert!(clean.chars().count() <= MAX_NAME_CHARS);
            let mut run = 0;
            let mut total = 0;
            for c in clean.chars() {
                let category = get_general_category(c);
                prop_assert!(
                    !matches!(category, G::Control | G::Format | G::LineSeparator | G::ParagraphSeparator),
                    "{:?} kept in {:?}", c, clean
                );
                if is_mark(c) {
                    run += 1;
                    total += 1;
                    prop_assert!(run <= MAX_COMBINING_RUN && total <= MAX_COMBINING_TOTAL);
                } else {
                    run = 0;
                }
            }
        }

        #[test]
        fn plain_names_are_always_accepted(name in "[A-Za-z][A-Za-z' -]{0,30}") {
            prop_assert_eq!(clean_name(Some(&name)), Ok(name.trim().to_owned()));
        }

    }
}
