//! The system's language as the environment names it, for the page to pick its catalogue: a web
//! view does not always pass the desktop's language on in `navigator.languages`.

/// The variables that name the language of messages, most specific first (POSIX, and GNU's
/// `LANGUAGE` priority list, which counts only when a locale is set at all).
const VARIABLES: [&str; 3] = ["LC_ALL", "LC_MESSAGES", "LANG"];

/// The system locale, such as `ko_KR.UTF-8`; `None` for the "C" locale or when nothing is set.
pub fn system_locale() -> Option<String> {
    from_env(|name| std::env::var(name).ok())
}

fn from_env(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
    let locale = VARIABLES.iter().find_map(|name| set(name))?;
    if locale == "C" || locale == "POSIX" || locale.starts_with("C.") {
        return None;
    }
    let preferred = set("LANGUAGE").and_then(|list| {
        list.split(':')
            .find(|entry| !entry.is_empty())
            .map(str::to_owned)
    });
    Some(preferred.unwrap_or(locale))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locale(vars: &[(&str, &str)]) -> Option<String> {
        from_env(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn takes_the_most_specific_variable() {
        assert_eq!(
            locale(&[("LANG", "ko_KR.UTF-8")]).as_deref(),
            Some("ko_KR.UTF-8")
        );
        assert_eq!(
            locale(&[("LANG", "en_US.UTF-8"), ("LC_MESSAGES", "ko_KR.UTF-8")]).as_deref(),
            Some("ko_KR.UTF-8")
        );
        assert_eq!(
            locale(&[("LANG", "ko_KR.UTF-8"), ("LC_ALL", "en_GB.UTF-8")]).as_deref(),
            Some("en_GB.UTF-8")
        );
        assert_eq!(
            locale(&[("LANG", "en_US.UTF-8"), ("LANGUAGE", "ko:en")]).as_deref(),
            Some("ko")
        );
    }

    #[test]
    fn the_c_locale_or_nothing_names_no_language() {
        assert_eq!(locale(&[]), None);
        assert_eq!(locale(&[("LANG", "")]), None);
        assert_eq!(locale(&[("LANG", "ko_KR.UTF-8"), ("LC_ALL", "C")]), None);
        assert_eq!(locale(&[("LANG", "C.UTF-8"), ("LANGUAGE", "ko")]), None);
    }
}
