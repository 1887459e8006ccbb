//! QR codes of passport identifiers, as SVG (drawn by the `qrcode` crate) and as greyscale PNG
//! (modules drawn here and encoded with the `png` crate, so no image library is needed). Both
//! keep the four-module quiet zone the QR standard asks for and use error correction level M,
//! the usual choice for GS1 Digital Link QR codes printed on products.

use qrcode::{Color, EcLevel, QrCode};

/// The smallest image size accepted, in pixels.
pub const MIN_SIZE: u32 = 64;
/// The largest image size accepted, in pixels.
pub const MAX_SIZE: u32 = 2048;
/// The size when none is asked for.
pub const DEFAULT_SIZE: u32 = 256;
/// Quiet zone around the symbol, in modules.
const QUIET_ZONE: u32 = 4;

/// Why a QR code could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QrError(String);

fn symbol(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|error| QrError(format!("cannot encode {} bytes as a QR code: {error}", text.len())))
}

/// An SVG image of the QR code of `text`, at least `size` pixels wide (a whole number of pixels
/// per module).
pub fn svg(text: &str, size: u32) -> Result<String, QrError> {
    Ok(symbol(text)?
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(size, size)
        .build())
}

/// A greyscale PNG of the QR code of `text`: the largest whole number of pixels per module that
/// fits in `size`, at least one.
pub fn png(text: &str, size: u32) -> Result<Vec<u8>, QrError> {
    let code = symbol(text)?;
    let modules = u32::try_from(code.width()).expect("a QR symbol is at most 177 modules wide");
    let span = modules + 2 * QUIET_ZONE;
    let scale = (size / span).max(1);
    let pixels = span * scale;
    let colors = code.to_colors();
    let mut image = vec![255u8; (pixels * pixels) as usize];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let index = u32::try_from(index).expect("a QR symbol has at most 177² modules");
        let (column, row) = (index % modules + QUIET_ZONE, index / modules + QUIET_ZONE);
        for y in row * scale..(row + 1) * scale {
            let start = (y * pixels + column * scale) as usize;
            image[start..start + scale as usize].fill(0);
        }
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, pixels, pixels);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|error| QrError(format!("PNG encoding failed: {error}")))?;
    writer
        .write_image_data(&image)
        .map_err(|error| QrError(format!("PNG encoding failed: {error}")))?;
    writer
        .finish()
        .map_err(|error| QrError(format!("PNG encoding failed: {error}")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_a_standalone_image() {
        let image = svg("https://id.gs1.org/01/09506000134352/21/1", 200).expect("encodes");
        assert!(image.starts_with("<?xml"), "{}", &image[..60]);
        assert!(image.contains("<svg") && image.contains("</svg>"));
        assert!(!image.contains("<script"));
    }

    #[test]
    fn png_has_the_size_of_whole_modules() {
        let bytes = png("https://id.gs1.org/01/09506000134352", 256).expect("encodes");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().expect("decodes");
        let info = reader.info();
        assert!(info.width <= 256 && info.width >= 256 / 2, "{}", info.width);
        assert_eq!(info.width, info.height);
    }
}
