//! Room names: which ones a client may join, and the one `/ws` joins.

/// Room used by `/ws` when the path names none.
pub const DEFAULT_ROOM: &str = "lobby";

/// Longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 64;

/// Why a room name cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    /// Empty, or longer than [`MAX_ROOM_CHARS`].
    #[error("room name must be 1 to 64 characters long")]
    Length,
    /// A character other than `A-Z a-z 0-9 _ -`.
    #[error("room name may only use letters A-Z a-z, digits, '_' and '-'")]
    Character,
}

/// Checks a room name: 1 to 64 of `A-Za-z0-9_-`.
pub fn validate_room(room: &str) -> Result<(), RoomError> {
    if room.is_empty() || room.len() > MAX_ROOM_CHARS {
        return Err(RoomError::Length);
    }
    if !room
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(RoomError::Character);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_rules() {
        assert!(validate_room("lobby").is_ok());
        assert!(validate_room(&"a".repeat(64)).is_ok());
        assert_eq!(validate_room(&"a".repeat(65)), Err(RoomError::Length));
        assert_eq!(validate_room(""), Err(RoomError::Length));
        assert_eq!(validate_room("a b"), Err(RoomError::Character));
        assert_eq!(validate_room("café"), Err(RoomError::Character));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn room_rule_is_exactly_the_documented_one(
            room in prop_oneof!["[A-Za-z0-9_-]{0,70}", any::<String>(), "[a-z]{1,8}[ ./%é][a-z]{0,8}"],
        ) {
            let expected = (1..=MAX_ROOM_CHARS).contains(&room.len())
                && room.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            prop_assert_eq!(validate_room(&room).is_ok(), expected);
        }
    }
}
