// Start the NHS.UK frontend components (header menu, error summary focus, details...).
import { initAll } from "./vendor/nhsuk-frontend-10.6.1/nhsuk-frontend.min.js";

initAll();
