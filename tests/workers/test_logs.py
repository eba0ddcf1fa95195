import logging

from workers.logs import install_log_masking, mask_phone, mask_text


def test_mask_phone_keeps_only_the_country_prefix_and_last_digits():
    assert mask_phone("+254712345321") == "+2547•••••321"


def test_mask_text_hides_numbers_and_secret_parameters():
    line = "POST /ussd/africastalking?key=s3cr3t&x=1 from +254712345321"
    masked = mask_text(line)
    assert "s3cr3t" not in masked and "712345" not in masked
    assert "key=•••" in masked and "+2547•••••321" in masked


def test_every_log_record_is_masked(caplog):
    install_log_masking()
    with caplog.at_level(logging.INFO):
        logging.getLogger("third.party").info("caller %s said hi", "+254712345321")
    assert "712345" not in caplog.text
    assert "+2547•••••321" in caplog.text
