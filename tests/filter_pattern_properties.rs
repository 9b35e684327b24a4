//! Properties of the CloudWatch Logs filter-pattern normal form, over generated patterns: what the CIS
//! monitoring controls are compared with.

use proptest::prelude::*;
use stance::analyze::filter_pattern::Pattern;

/// A pattern's text, built from conditions with `&&`, `||` and parentheses, spaced and quoted at random.
fn pattern_text() -> impl Strategy<Value = String> {
    let condition = (
        prop_oneof![Just("$.eventName"), Just("$.eventSource"), Just("$.errorCode"), Just("$.userIdentity.type")],
        prop_oneof![Just("="), Just("!=")],
        prop_oneof![Just("IS".to_owned()), Just("not".to_owned()), "[A-Za-z*][A-Za-z0-9.*_-]{0,10}"],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(field, op, value, quoted, spaced)| {
            let value = if quoted { format!("\"{value}\"") } else { value };
            if spaced { format!("({field} {op} {value})") } else { format!("{field}{op}{value}") }
        });
    condition.prop_recursive(3, 16, 4, |inner| {
        (prop::collection::vec(inner, 2..4), any::<bool>())
            .prop_map(|(parts, and)| format!("({})", parts.join(if and { " && " } else { " || " })))
    })
}

proptest! {
    #[test]
    fn the_normal_form_reads_back_as_itself_and_covers_itself(text in pattern_text()) {
        let pattern = Pattern::parse(&format!("{{ {text} }}")).expect("a generated pattern parses");
        let again = Pattern::parse(&format!("{{ {pattern} }}")).expect("the normal form parses");
        prop_assert_eq!(&again, &pattern);
        prop_assert!(pattern.covers(&pattern));
    }

    #[test]
    fn an_alternative_more_is_broader_and_a_condition_more_is_narrower(text in pattern_text(), extra in pattern_text()) {
        let base = Pattern::parse(&format!("{{ {text} }}")).unwrap();
        let broader = Pattern::parse(&format!("{{ ({text}) || ({extra}) }}")).unwrap();
        let narrower = Pattern::parse(&format!("{{ ({text}) && ({extra}) }}")).unwrap();
        prop_assert!(broader.covers(&base));
        prop_assert!(base.covers(&narrower));
        prop_assert!(broader.covers(&narrower));
    }

    #[test]
    fn any_text_parses_or_fails_without_panicking(text in "\\PC{0,80}") {
        let _ = Pattern::parse(&text);
    }
}
