use super::{Kind, find, id_check_digit, redact};
use crate::values::Locale;
use proptest::prelude::*;

fn zh(text: &str) -> String {
    redact(text, Locale::ZhCn).into_owned()
}

/// A valid ID number from its first 17 digits.
fn id(first17: &str) -> String {
    let check = id_check_digit(first17).expect("17 digits");
    format!("{first17}{check}")
}

#[test]
fn the_check_digit_is_gb_11643s() {
    // The standard's worked example.
    assert_eq!(id_check_digit("11010519491231002"), Some('X'));
    assert_eq!(id_check_digit("1101051949123100"), None);
    assert_eq!(id_check_digit("1101051949123100a"), None);
}

#[test]
fn mobile_numbers_in_the_ways_people_write_them() {
    for written in [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "138 12345678",
        "1381234 5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "+86-13812345678",
        "86 13812345678",
        "8613812345678",
        "0086 13812345678",
        "(+86)13812345678",
        "（+86）138 1234 5678",
        "１３８１２３４５６７８",
        "19912345678",
    ] {
        assert_eq!(
            zh(&format!("我的电话{written}，请回电")),
            "我的电话[电话]，请回电",
            "{written}"
        );
    }
    assert_eq!(zh("Tel13812345678 or"), "Tel[电话] or");
    assert_eq!(zh("13812345678"), "[电话]");
}

#[test]
fn landline_numbers_need_their_area_code() {
    for written in [
        "0459-4612345",
        "0459 4612345",
        "0451-82345678",
        "010-62345678",
        "021 52345678",
        "(0451)82345678",
        "（0451）8234567",
        "(010) 62345678",
        "0451-8234-5678",
        "0451-82345678-801",
        "0451-82345678转801",
    ] {
        assert_eq!(
            zh(&format!("办公室{written}。")),
            "办公室[电话]。",
            "{written}"
        );
    }
    for kept in [
        "4612345",
        "82345678",
        "12345",
        "400-810-8888",
        "0451",
        "0459-1234567", // no local number starts with 1
        "045-12345678", // 04x is not an area code
        "011-62345678", // nor is 011
    ] {
        assert_eq!(zh(kept), kept);
    }
}

#[test]
fn id_numbers_with_a_right_check_digit() {
    let valid = id("23060219900307123");
    assert_eq!(zh(&format!("身份证{valid}。")), "身份证[身份证号]。");
    assert_eq!(zh("证件号11010519491231002X"), "证件号[身份证号]");
    assert_eq!(zh("证件号11010519491231002x"), "证件号[身份证号]");
    let spaced = format!("{} {} {}", &valid[..6], &valid[6..14], &valid[14..]);
    assert_eq!(zh(&spaced), "[身份证号]");
    // One digit off: the check digit no longer fits.
    let mut wrong = valid.clone().into_bytes();
    wrong[17] = if wrong[17] == b'1' { b'2' } else { b'1' };
    let wrong = String::from_utf8(wrong).expect("ascii");
    assert_eq!(zh(&wrong), wrong);
    // A right check digit but no real birth date (month 13).
    let no_date = id("23060219901307123");
    assert_eq!(zh(&no_date), no_date);
    // Order numbers and other long numbers.
    for kept in [
        "202405011234567890",
        "123456789012345678",
        "0000000000000000000",
    ] {
        assert_eq!(zh(kept), kept);
    }
}

#[test]
fn e_mail_addresses() {
    for written in [
        "zhang.san@example.com",
        "a+b@mail.qq.com",
        "li_4@163.com",
        "x@sub-d.example.org",
    ] {
        assert_eq!(
            zh(&format!("邮箱 {written} 谢谢")),
            "邮箱 [邮箱] 谢谢",
            "{written}"
        );
    }
    assert_eq!(zh("write to li@163.com."), "write to [邮箱].");
    assert_eq!(zh("13812345678@qq.com"), "[邮箱]");
    for kept in ["@someone", "a@b", "price@3.5", "a@.com", "user@", "a@b.c"] {
        assert_eq!(zh(kept), kept);
    }
}

#[test]
fn licence_plates() {
    for written in [
        "黑E12345",
        "黑E·12345",
        "京A D1234",
        "京AD12345",
        "粤b12345",
        "川A·F1234",
    ] {
        assert_eq!(
            zh(&format!("车牌{written}占道")),
            "车牌[车牌]占道",
            "{written}"
        );
    }
    for kept in [
        "京A座101室",
        "京ABCDE",
        "新A1234",
        "京A1234567",
        "北A12345",
        "京ICP备12345678号",
    ] {
        assert_eq!(zh(kept), kept);
    }
}

#[test]
fn ordinary_numbers_stay() {
    for kept in [
        "2024-05-01",
        "2024年5月1日",
        "20240501",
        "2024.05.01",
        "15000元",
        "1,380,000元",
        "3.50元",
        "301室",
        "C-22栋",
        "3号楼2单元301",
        "K7QX-3M9P-2D4F",
        "1381-2345-6789",
        "12345热线",
        "13:45",
        "126.123456, 46.58",
        "138123456789",
        "13812345678.00元",
        "0.13812345678",
        "1-13812345678",
        "13812345678-2",
        "12",
        "第138期",
    ] {
        assert_eq!(zh(kept), kept, "{kept}");
    }
}

#[test]
fn markers_speak_the_citys_language() {
    let text = format!("13812345678 {} a@b.com 黑E12345", id("23060219900307123"));
    assert_eq!(
        redact(&text, Locale::En),
        "[phone] [ID number] [e-mail] [licence plate]"
    );
    assert_eq!(zh(&text), "[电话] [身份证号] [邮箱] [车牌]");
    assert_eq!(Kind::Phone.marker(Locale::En), "[phone]");
}

#[test]
fn nothing_found_borrows() {
    assert!(matches!(
        redact("路灯不亮 3 天了", Locale::ZhCn),
        std::borrow::Cow::Borrowed(_)
    ));
    assert!(find("没有数字").is_empty());
}

#[test]
fn found_ranges_are_byte_ranges_in_order() {
    let text = "电话13812345678，邮箱a@b.com";
    let found = find(text);
    assert_eq!(found.len(), 2);
    assert_eq!(&text[found[0].1.clone()], "13812345678");
    assert_eq!(found[0].0, Kind::Phone);
    assert_eq!(&text[found[1].1.clone()], "a@b.com");
    assert_eq!(found[1].0, Kind::Email);
}

#[test]
fn a_neighbour_hidden_frees_a_number() {
    // The ID's X touches the mobile number; both go.
    let text = format!("{}13812345678", id("11010519491231002"));
    let once = zh(&text);
    assert!(!once.chars().any(|c| c.is_ascii_digit()), "{once}");
    assert_eq!(zh(&once), once);
}

/// Text of characters that meet at the edges of numbers.
fn tricky() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "1", "3", "8", "0", "4", "5", "9", "X", "x", "a", "Z", "@", ".", "-", " ", "+", "86", "(",
        ")", "（", "）", "·", "京", "黑", "A", "转", "com", "电话", "138", "1234", "5678", "0451",
        "２",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

/// One piece of personal data as people write it, and whether the markers
/// should have taken all its digits.
fn personal() -> impl Strategy<Value = String> {
    let mobile = (3u8..=9, 0u64..1_000_000_000, 0usize..6).prop_map(|(second, rest, style)| {
        let n = format!("1{second}{rest:09}");
        match style {
            0 => n,
            1 => format!("{} {} {}", &n[..3], &n[3..7], &n[7..]),
            2 => format!("{}-{}-{}", &n[..3], &n[3..7], &n[7..]),
            3 => format!("+86 {n}"),
            4 => format!("(+86){n}"),
            _ => format!("86-{n}"),
        }
    });
    let landline = (
        prop::sample::select(vec!["010", "021", "0451", "0459", "0755"]),
        2u32..=9,
        0u32..10_000_000,
        any::<bool>(),
    )
        .prop_map(|(area, first, rest, dash)| {
            let local = format!("{first}{:07}", rest);
            let local = if area.len() == 4 && rest % 2 == 0 {
                &local[..7]
            } else {
                &local[..]
            };
            format!("{area}{}{local}", if dash { "-" } else { " " })
        });
    let id_number = (
        110000u32..830000,
        1900i32..2025,
        1u32..=12,
        1u32..=28,
        0u32..1000,
    )
        .prop_map(|(region, year, month, day, seq)| {
            id(&format!("{region}{year}{month:02}{day:02}{seq:03}"))
        });
    let email = (
        "[a-z][a-z0-9._]{0,8}[a-z0-9]",
        "[a-z0-9]{1,8}",
        "(com|cn|org|net)",
    )
        .prop_map(|(local, host, tld)| format!("{local}@{host}.{tld}"));
    let plate = (
        prop::sample::select(
            "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
                .chars()
                .collect::<Vec<_>>(),
        ),
        "[A-Z]",
        prop::sample::select(vec!["", "·", " "]),
        "[A-Z0-9]{0,5}[0-9]",
        0usize..5,
    )
        .prop_map(|(province, letter, sep, body, cut)| {
            // 5 or 6 characters, at least one a digit (the last).
            let body = if body.len() < 5 {
                format!("{}{body}", &"00000"[..5 - body.len()])
            } else {
                body
            };
            let body = if cut % 2 == 0 && body.len() == 6 {
                body[1..].to_owned()
            } else {
                body
            };
            format!("{province}{letter}{sep}{body}")
        });
    prop_oneof![mobile, landline, id_number, email, plate]
}

proptest! {
    #[test]
    fn hiding_twice_changes_nothing(text in tricky()) {
        let once = zh(&text);
        prop_assert_eq!(zh(&once), once.clone());
        let en = redact(&text, Locale::En).into_owned();
        prop_assert_eq!(redact(&en, Locale::En).into_owned(), en);
    }

    #[test]
    fn text_without_digits_or_at_signs_is_unchanged(text in "[^0-9０-９@]{0,200}") {
        prop_assert!(matches!(redact(&text, Locale::ZhCn), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn no_personal_digit_survives(
        before in "[a-zA-Z，。、 \u{4e00}-\u{4e2f}]{0,12}",
        data in personal(),
        // A plate runs on into letters right after it (`京A12345is`).
        after in "([，。、 \u{4e00}-\u{4e2f}][a-zA-Z，。、 \u{4e00}-\u{4e2f}]{0,11})?",
    ) {
        // The text around has no digits, so none may be left.
        let text = format!("{before}{data}{after}");
        for locale in Locale::ALL {
            let out = redact(&text, locale);
            prop_assert!(!out.chars().any(|c| c.is_ascii_digit() || c == '@'), "{text} → {out}");
        }
    }
}
