from modmig.files.checksum import checksum


def test_line_endings_and_trailing_whitespace_do_not_change_the_checksum():
    unix = "CREATE TABLE t (x int);\nDROP TABLE t;\n"
    assert checksum(unix) == checksum(unix.replace("\n", "\r\n"))
    assert checksum(unix) == checksum("CREATE TABLE t (x int);   \nDROP TABLE t;\t\n\n\n")


def test_a_real_edit_changes_the_checksum():
    assert checksum("CREATE TABLE t (x int);") != checksum("CREATE TABLE t (x bigint);")
    assert checksum("SELECT 1;\nSELECT 2;") != checksum("SELECT 1;\n\nSELECT 2;")
