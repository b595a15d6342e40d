//! ITU-T G.711 companding: μ-law (PCMU, what Twilio carries) and A-law (PCMA).
//!
//! The encoders follow the reference algorithm of Sun's `g711.c` on 14-bit (μ-law) or 13-bit (A-law) input, and
//! reduce the 16-bit sample to that width as sox does: rounded to nearest (not truncated), so every output byte
//! equals sox's for every input (`tests/it/g711.rs` checks all 65,536 inputs against `sox -D -e mu-law` /
//! `-e a-law`; without `-D` sox adds dither and is no reference).

const ULAW_BIAS: i32 = 0x84 >> 2; // 33, in 14-bit units
const ULAW_CLIP: i32 = 8159;

/// Encodes one linear 16-bit sample as μ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut pcm = ((i32::from(sample) + 2) >> 2).min(0x1FFF);
    let mask: u8 = if pcm < 0 {
        pcm = -pcm;
        0x7F
    } else {
        0xFF
    };
    pcm = pcm.min(ULAW_CLIP) + ULAW_BIAS;
    // Segment: position of the highest set bit above bit 5 (0x3F is segment 0's end).
    let seg = (31 - (pcm as u32 | 0x3F).leading_zeros()) as i32 - 5;
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let byte = ((seg << 4) | ((pcm >> (seg + 1)) & 0xF)) as u8;
    byte ^ mask
}

/// Decodes one μ-law byte to a linear 16-bit sample.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let mut t = ((i32::from(u & 0x0F)) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

/// Encodes one linear 16-bit sample as A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut pcm = ((i32::from(sample) + 4) >> 3).min(0xFFF);
    let mask: u8 = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    // Segment: 0 up to 0x1F, then one per bit.
    let seg = ((31 - (pcm as u32 | 0x1F).leading_zeros()) as i32 - 4).max(0);
    let shift = if seg < 2 { 1 } else { seg };
    let byte = ((seg << 4) | ((pcm >> shift) & 0xF)) as u8;
    byte ^ mask
}

/// Decodes one A-law byte to a linear 16-bit sample.
pub fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let mut t = i32::from(a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

/// Encodes a slice of samples as μ-law.
pub fn encode_ulaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| linear_to_ulaw(s)).collect()
}

/// Decodes μ-law bytes to linear samples.
pub fn decode_ulaw(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().map(|&b| ulaw_to_linear(b)).collect()
}
