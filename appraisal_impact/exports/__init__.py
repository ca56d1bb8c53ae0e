"""Downloads: the demand-and-capacity return workbook."""
