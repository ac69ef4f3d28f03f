# cmake -DIN=dsdt.hex -DOUT=acpi_dsdt.c -P aml2c.cmake
#
# Turn the C array iasl -tc writes ("unsigned char AmlCode[]" in older iasl
# versions, "unsigned char <file>_aml_code[]" in later ones) into a C file
# that compiles under the project's -Wall -Wextra -Werror: the array under
# the name include/hv/acpi_build.h declares, const, and its length.
file(READ ${IN} hex)
string(REGEX MATCH "unsigned char [A-Za-z_][A-Za-z0-9_]*[ ]*\\[\\]" decl "${hex}")
if(NOT decl)
  message(FATAL_ERROR "aml2c: no 'unsigned char NAME[]' array in ${IN}")
endif()
string(REPLACE "${decl}" "const unsigned char acpi_dsdt_aml[]" hex "${hex}")
file(WRITE ${OUT}.tmp
  "/* Generated from firmware/acpi/dsdt.asl by iasl -tc and aml2c.cmake: do not edit. */\n"
  "#include <hv/acpi_build.h>\n\n"
  "${hex}\n"
  "const size_t acpi_dsdt_aml_len = sizeof(acpi_dsdt_aml);\n")
file(RENAME ${OUT}.tmp ${OUT})
