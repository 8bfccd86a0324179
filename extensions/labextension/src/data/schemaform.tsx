/**
 * A service's own query parameters, rendered from the JSON Schema its
 * adapter declares (`query_schema`), as ESAP's GUI rendered `query_schema`.
 *
 * Uses JupyterLab's `FormComponent` (react-jsonschema-form with the lab's
 * templates, as the settings editor does) and rjsf's AJV 8 validator. This
 * module is loaded on demand, the first time a user opens a service's
 * options, so the validator costs nothing while the lab starts.
 */
import { ITranslator } from '@jupyterlab/translation';
import { FormComponent } from '@jupyterlab/ui-components';
import { ReadonlyJSONObject } from '@lumino/coreutils';
import { RJSFSchema, UiSchema } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import React from 'react';

export interface IServiceParamsFormProps {
  /** The service name, to keep element ids unique in the panel. */
  service: string;
  schema: Record<string, unknown>;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  translator: ITranslator;
}

const validator = customizeValidator<ReadonlyJSONObject>();

const UI_SCHEMA: UiSchema<ReadonlyJSONObject> = {
  'ui:submitButtonOptions': { norender: true }
};

export default function ServiceParamsForm(
  props: IServiceParamsFormProps
): JSX.Element {
  const { service, schema, value, onChange, translator } = props;
  return (
    <div className="esap-ParamsForm" data-esap-params={service}>
      <FormComponent
        schema={schema as RJSFSchema}
        uiSchema={UI_SCHEMA}
        formData={value as ReadonlyJSONObject}
        validator={validator}
        idPrefix={`esap-params-${service.replace(/[^\w-]/g, '_')}`}
        liveValidate
        showErrorList={false}
        compact
        translator={translator}
        onChange={event =>
          onChange({ ...((event.formData ?? {}) as Record<string, unknown>) })
        }
      />
    </div>
  );
}
