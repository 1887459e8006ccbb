//! A minimal Excel workbook writer (Office Open XML, `.xlsx`): one sheet of text cells, the
//! first row bold as a header. An xlsx file is a zip archive of a few XML parts; the archive is
//! written here with stored (uncompressed) entries and their CRC-32, which every spreadsheet
//! program reads. Kept small on purpose: the exports need text in cells, not formulas or styles
//! beyond the header.

/// The workbook with one sheet named `sheet` holding `rows` (the first row is the header).
pub fn workbook(sheet: &str, rows: &[Vec<String>]) -> Vec<u8> {
    let mut sheet_xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for (row_index, row) in rows.iter().enumerate() {
        sheet_xml.push_str(&format!("<row r=\"{}\">", row_index + 1));
        for (column_index, cell) in row.iter().enumerate() {
            let style = if row_index == 0 { " s=\"1\"" } else { "" };
            sheet_xml.push_str(&format!(
                "<c r=\"{}{}\" t=\"inlineStr\"{style}><is><t xml:space=\"preserve\">{}</t></is></c>",
                column_name(column_index),
                row_index + 1,
                escape(cell)
            ));
        }
        sheet_xml.push_str("</row>");
    }
    sheet_xml.push_str("</sheetData></worksheet>");
    let parts: [(&str, String); 6] = [
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
             <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>\
             </Types>"
                .to_owned(),
        ),
        (
            "_rels/.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
             </Relationships>"
                .to_owned(),
        ),
        (
            "xl/workbook.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
                 xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
                 <sheets><sheet name=\"{}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
                escape(sheet)
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
             <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
             </Relationships>"
                .to_owned(),
        ),
        (
            "xl/styles.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
             <fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font><font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
             <fills count=\"1\"><fill><patternFill patternType=\"none\"/></fill></fills>\
             <borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
             <cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
             <cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
             <xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>\
             </styleSheet>"
                .to_owned(),
        ),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ];
    zip_stored(&parts)
}

/// The column letters of a zero-based index (0 → A, 25 → Z, 26 → AA).
fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + u8::try_from(index % 26).expect("below 26"));
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

/// `text` escaped for XML, without the control characters XML 1.0 forbids.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\t' | '\n' | '\r' => escaped.push(character),
            control if control.is_control() => {}
            other => escaped.push(other),
        }
    }
    escaped
}

/// A zip archive of `files` stored without compression (PKWARE APPNOTE 4.3: local headers, the
/// central directory and its end record; UTF-8 names flagged).
fn zip_stored(files: &[(&str, String)]) -> Vec<u8> {
    fn u16_le(out: &mut Vec<u8>, value: usize) {
        out.extend_from_slice(&u16::try_from(value).unwrap_or(u16::MAX).to_le_bytes());
    }
    fn u32_le(out: &mut Vec<u8>, value: usize) {
        out.extend_from_slice(&u32::try_from(value).unwrap_or(u32::MAX).to_le_bytes());
    }
    const UTF8_NAMES: usize = 0x0800;
    // 1980-01-01 00:00, the earliest DOS time: the archive does not depend on the clock.
    const DOS_TIME: usize = 0;
    const DOS_DATE: usize = (1 << 5) | 1;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in files {
        let data = content.as_bytes();
        let crc = crc32fast::hash(data) as usize;
        let offset = out.len();
        u32_le(&mut out, 0x0403_4b50);
        u16_le(&mut out, 20);
        u16_le(&mut out, UTF8_NAMES);
        u16_le(&mut out, 0);
        u16_le(&mut out, DOS_TIME);
        u16_le(&mut out, DOS_DATE);
        u32_le(&mut out, crc);
        u32_le(&mut out, data.len());
        u32_le(&mut out, data.len());
        u16_le(&mut out, name.len());
        u16_le(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        u32_le(&mut central, 0x0201_4b50);
        u16_le(&mut central, 20);
        u16_le(&mut central, 20);
        u16_le(&mut central, UTF8_NAMES);
        u16_le(&mut central, 0);
        u16_le(&mut central, DOS_TIME);
        u16_le(&mut central, DOS_DATE);
        u32_le(&mut central, crc);
        u32_le(&mut central, data.len());
        u32_le(&mut central, data.len());
        u16_le(&mut central, name.len());
        u16_le(&mut central, 0);
        u16_le(&mut central, 0);
        u16_le(&mut central, 0);
        u16_le(&mut central, 0);
        u32_le(&mut central, 0);
        u32_le(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = out.len();
    out.extend_from_slice(&central);
    u32_le(&mut out, 0x0605_4b50);
    u16_le(&mut out, 0);
    u16_le(&mut out, 0);
    u16_le(&mut out, files.len());
    u16_le(&mut out, files.len());
    u32_le(&mut out, central.len());
    u32_le(&mut out, central_offset);
    u16_le(&mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_like_a_spreadsheet() {
        assert_eq!(
            [0, 25, 26, 27, 701, 702].map(column_name),
            ["A", "Z", "AA", "AB", "ZZ", "AAA"]
        );
    }

    #[test]
    fn the_workbook_is_a_zip_of_the_parts_with_escaped_text() {
        let book = workbook("targets", &[vec!["分類".to_owned()], vec!["a < b & \"c\"".to_owned()]]);
        assert_eq!(&book[..4], b"PK\x03\x04");
        assert_eq!(&book[book.len() - 22..book.len() - 18], b"PK\x05\x06");
        let text = String::from_utf8_lossy(&book);
        assert!(text.contains("xl/worksheets/sheet1.xml"));
        assert!(text.contains("a &lt; b &amp; &quot;c&quot;"));
        assert!(text.contains("<c r=\"A2\" t=\"inlineStr\">"));
    }
}
