"""End-to-end encryption: device and one-time keys, cross-signing, key backup, to-device, device lists."""
